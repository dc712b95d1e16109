"""The compiler helper: a process of the worker's own that runs the C++ compiler for
torch.compile's Inductor, so that the worker itself still may not start any program.

Why not let the worker exec the compiler, with Landlock's execute right on the compiler's
files only? Every dynamically linked program needs the dynamic loader's execute right too, and
the loader run as a program (``ld-linux-x86-64.so.2 /usr/bin/python3``) maps and runs any file
it can read, Landlock never asked: the user's code could run python, a shell, or a file it
wrote. So the worker keeps seccomp's refusal of fork and exec, and asks this helper instead,
over a socket pair made before either is confined:

- the helper runs only the compiler's driver, with only the options Inductor writes
  (``compiler_rules.check``): nothing the user's code sends names another program;
- its Landlock domain lets it execute only the toolchain's own files (driver, cc1plus, as,
  collect2, ld and the loader), read what the worker may read, and write only in the temp
  folder, where nothing may be executed; its seccomp filter is the worker's, fork and exec
  allowed; it has the worker's uid, rlimits, namespaces and no_new_privs, and dies with it;
- the compiled library is loaded by the worker (``dlopen``), into the process whose
  confinement already holds whatever native code does, as it does for ctypes.

Protocol: one JSON line each way per command, ``{"argv": [...], "cwd": DIR}`` ->
``{"returncode": N, "stdout": TEXT, "stderr": TEXT}`` or ``{"refused": WHY}``."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

from explorer.sandbox import compiler_rules, landlock, seccomp
from explorer.sandbox.privileges import keep_read_across_exec
from explorer.sandbox.report import Report
from explorer.sandbox.syscalls import PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, prctl

COMPILE_TIMEOUT_S = 120.0
MAX_LINE = 1 << 20
OUTPUT_CHARS = 200_000     # of a command's stdout and stderr each, sent back
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C"}   # nothing of the worker's: no COMPILER_PATH, ...

OUTPUT_DIR = "compiled"   # in the temp folder: Inductor's cache; its own tmpfs without noexec
OUTPUT_MB = 256

_sock: socket.socket | None = None   # the worker's end, once the helper runs
_output: str | None = None
_missing: str | None = None          # why this worker, asked for one, has no helper
_lock = threading.Lock()


def start(report: Report, run_dir: str, read_paths: list[str], no_namespaces: bool) -> None:
    """In the worker, after the uid drop and no_new_privs, before its own Landlock and
    seccomp: fork the helper. Reports "compiler" (not a required layer: without it
    torch.compile's row says why it is not available)."""
    global _sock, _output, _missing
    try:
        files = compiler_rules.toolchain()
    except (compiler_rules.Refused, OSError, subprocess.SubprocessError) as err:
        _missing = str(err)
        report.add("compiler", False, f"no compiler helper: {err}")
        return
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the helper; never returns into the worker
        code = 0
        try:
            ours.close()
            serve(theirs, run_dir, read_paths, files, no_namespaces)
        except BaseException:  # noqa: BLE001 - the worker sees its end close
            code = 70
        finally:
            os._exit(code)
    theirs.close()
    _sock, _output = ours, output_dir(run_dir)
    os.makedirs(_output, exist_ok=True)
    report.add("compiler", True, f"a helper (pid {pid}) runs the C++ compiler for "
               f"torch.compile: it may execute only {len(files)} toolchain files")


def output_dir(run_dir: str) -> str:
    """Where the compiler writes and the worker loads from (``namespaces`` mounts it)."""
    return os.path.join(run_dir, OUTPUT_DIR)


def confine_helper(run_dir: str, read_paths: list[str], files: list[str],
                   no_namespaces: bool) -> None:
    """The helper's own layers, for good: Landlock (execute only ``files``; write only in
    the temp folder, execute nothing there) and seccomp (the worker's, fork and exec allowed)."""
    prctl(PR_SET_PDEATHSIG, 9)   # the worker dies -> the helper dies
    prctl(PR_SET_NO_NEW_PRIVS, 1)  # the worker's already; Landlock needs it
    keep_read_across_exec()
    landlock.restrict(read_paths, [run_dir, "/dev/null"], exec_paths=files)
    if seccomp.available():
        seccomp.install(os.getpid(), processes=True, no_namespaces=no_namespaces)
    else:
        raise OSError("seccomp is not available")


def serve(sock: socket.socket, run_dir: str, read_paths: list[str], files: list[str],
          no_namespaces: bool) -> None:
    confine_helper(run_dir, read_paths, files, no_namespaces)
    reader = sock.makefile("rb")
    while True:
        line = reader.readline(MAX_LINE)
        if not line:
            return
        sock.sendall(json.dumps(answer(line, run_dir)).encode() + b"\n")


def answer(line: bytes, run_dir: str) -> dict:
    try:
        request = json.loads(line)
        argv = compiler_rules.check(request.get("argv"))
    except (ValueError, AttributeError) as err:
        return {"refused": str(err)}
    cwd = request.get("cwd") or run_dir
    if not isinstance(cwd, str) or not os.path.isdir(cwd):
        cwd = run_dir
    try:
        done = subprocess.run(argv, cwd=cwd, env={**ENV, "TMPDIR": run_dir},
                              capture_output=True, timeout=COMPILE_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return {"returncode": -9, "stdout": "",
                "stderr": f"the compiler took longer than {COMPILE_TIMEOUT_S:.0f} s"}
    except OSError as err:
        return {"returncode": 127, "stdout": "", "stderr": str(err)}
    return {"returncode": done.returncode,
            "stdout": done.stdout.decode(errors="replace")[:OUTPUT_CHARS],
            "stderr": done.stderr.decode(errors="replace")[:OUTPUT_CHARS]}


def available() -> str | None:
    """In a worker that started a helper: the folder its compiled files go to; else None."""
    return _output if _sock is not None else None


def missing() -> str | None:
    """In a worker that asked for a helper and has none: why (no g++ on this host)."""
    return _missing


def run(argv: list[str], cwd: str | None = None) -> dict:
    """In the worker: have the helper run ``argv``; its answer (see the module's protocol)."""
    if _sock is None:
        raise PermissionError(1, "this run has no compiler helper")
    with _lock:
        _sock.sendall(json.dumps({"argv": list(argv), "cwd": cwd}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = _sock.recv(1 << 16)
            if not chunk:
                raise OSError("the compiler helper is gone")
            data += chunk
    return json.loads(data)


if __name__ == "__main__":  # pragma: no cover - a by-hand check of the rules
    print(compiler_rules.check(sys.argv[1:]))
