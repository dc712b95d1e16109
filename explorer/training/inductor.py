"""torch.compile's Inductor inside a worker, whose kernel refuses fork and exec: every program
Inductor starts goes to the compiler helper instead (``explorer.sandbox.compiler``), which
runs the C++ compiler and nothing else.

Inductor starts programs through ``subprocess`` alone (the compiler's version, each kernel's
build, a probe of each vector instruction set run in a child python, ``openssl`` to hash a
precompiled header). While ``helped()`` is active, ``subprocess.Popen`` is ``HelperPopen``,
which hands the command to the helper and waits for its answer; the helper refuses all but
the compiler. The rest is set so that Inductor needs nothing else: one compile thread (no
pool of compile processes), its cache in the helper's output folder, no precompiled header
(hashed with openssl), and the vector instruction set taken from /proc/cpuinfo as Inductor
reads it, without the probe (a child python; the extra ISAs it would probe, AVX512-BF16/VNNI
and AMX, stay off)."""
from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from typing import Any

from explorer.sandbox import compiler


class HelperPopen:
    """The part of ``subprocess.Popen`` that ``subprocess.run``, ``check_output`` and
    ``check_call`` use, for a command the compiler helper runs to completion at once."""

    def __init__(self, args: Any, stdin: Any = None, stdout: Any = None, stderr: Any = None,
                 cwd: Any = None, text: bool | None = None, universal_newlines: bool | None = None,
                 shell: bool = False, **_ignored: Any) -> None:
        self.args, self.pid = args, 0
        argv = args.split() if isinstance(args, str) else [os.fspath(a) for a in args]
        answer = compiler.run(argv, None if cwd is None else os.fspath(cwd))
        if "refused" in answer:
            raise PermissionError(1, f"the compiler helper refused {argv[0]!r}: "
                                     f"{answer['refused']}")
        self.returncode = int(answer["returncode"])
        out, err = answer.get("stdout", ""), answer.get("stderr", "")
        if stderr == subprocess.STDOUT:
            out, err = out + err, ""
        as_text = bool(text or universal_newlines)
        self._out = self._keep(out, stdout, as_text)
        self._err = self._keep(err, stderr, as_text)
        self.stdin = self.stdout = self.stderr = None

    @staticmethod
    def _keep(data: str, where: Any, as_text: bool) -> str | bytes | None:
        if where != subprocess.PIPE:
            return None
        return data if as_text else data.encode()

    def communicate(self, input: Any = None, timeout: float | None = None) -> tuple:  # noqa: A002
        return self._out, self._err

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode

    def poll(self) -> int:
        return self.returncode

    def kill(self) -> None:
        pass

    terminate = kill

    def __enter__(self) -> HelperPopen:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def configure(output: str) -> None:
    """Inductor settings for a worker (see the module's docstring)."""
    import torch._inductor.config as config
    from torch._inductor import cpu_vec_isa

    os.environ["TORCHINDUCTOR_CACHE_DIR"] = output
    config.compile_threads = 1
    config.cpp_cache_precompile_headers = False
    config.cpp.vec_isa_ok = True
    cpu_vec_isa.VecISA._probe_load = lambda self, path: False


@contextlib.contextmanager
def helped() -> Iterator[None]:
    """Inductor's programs run by the compiler helper; PermissionError if the run has none."""
    output = compiler.available()
    if output is None:
        raise PermissionError(1, "this run's worker has no compiler helper")
    configure(output)
    real = subprocess.Popen
    subprocess.Popen = HelperPopen  # type: ignore[misc, assignment]
    try:
        yield
    finally:
        subprocess.Popen = real  # type: ignore[misc]
