"""The compiler helper (explorer.sandbox.compiler): it runs the C++ compiler for Inductor and
nothing else. Its rules are checked against commands Inductor wrote (copied by hand from a
real compile of torch 2.13 here); its Landlock domain against the programs it must not
start; and a worker's hostile code, which holds the helper's socket, against both."""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from explorer import jobs
from explorer.sandbox import (
    Limits,
    Scheduler,
    compiler,
    compiler_rules,
    landlock,
    registry,
    seccomp,
)
from explorer.sandbox.layers import read_paths
from explorer.sandbox.pool import WarmPool
from tests import compiler_hostile

registry.use(jobs.TABLE)
LIMITS = Limits(wall_s=10.0, cpu_s=10.0, memory_mb=512)   # a spare's fit these
HAVE_GXX = shutil.which("g++") is not None
needs_gxx = pytest.mark.skipif(not HAVE_GXX, reason="no g++ on this host")
needs_layers = pytest.mark.skipif(landlock.abi_version() < 1 or not seccomp.available(),
                                  reason="Landlock or seccomp is not available")

TORCH = "/venv/lib/python3.11/site-packages/torch"
# Three commands torch 2.13's Inductor ran for a small MLP's loss (forward and backward).
INDUCTOR = [
    "g++ --version", "g++ -v",
    f"g++ /tmp/c/hf/chf.main.cpp -D TORCH_INDUCTOR_CPP_WRAPPER -D STANDALONE_TORCH_HEADER "
    "-D C10_USING_CUSTOM_GENERATED_MACROS -D CPU_CAPABILITY_AVX512 -O3 -DNDEBUG "
    "-fno-omit-frame-pointer -g1 -fno-trapping-math -funsafe-math-optimizations "
    "-ffinite-math-only -fno-signed-zeros -fno-finite-math-only "
    "-fno-unsafe-math-optimizations -fmath-errno -ffp-contract=off -fexcess-precision=fast "
    "-fno-tree-loop-vectorize -march=native -shared -fPIC -Wall -std=c++20 "
    "-Wno-unused-variable -Wno-unknown-pragmas -pedantic -fopenmp "
    f"-I/usr/include/python3.11 -I{TORCH}/include -I{TORCH}/include/torch/csrc/api/include "
    "-mavx512f -mavx512dq -mavx512vl -mavx512bw -mfma -o /tmp/c/hf/chf.main.so -ltorch "
    f"-ltorch_cpu -ltorch_python -lgomp -L/usr/lib -L{TORCH}/lib",
    "g++ /tmp/p/header.hpp -D TORCH_INDUCTOR_CPP_WRAPPER -O3 -march=native -fPIC -Wall "
    f"-std=c++20 -fopenmp -I{TORCH}/include -mavx2 -mfma -mf16c -E -P -o /tmp/p/header.i",
    "g++ -x c++-header /tmp/h/c.h -O3 -fPIC -include /tmp/h/d.h -o /tmp/h/c.h.gch",
]
REFUSED = {  # a command -> a word its refusal must name
    "/bin/sh -c true": "not the C++ compiler",
    "sh -c true": "not the C++ compiler",
    "/usr/bin/g++ --version": "not the C++ compiler",   # a path of the caller's choosing
    "python3 -c 1": "not the C++ compiler",
    "g++ -wrapper /bin/sh,-c,true x.cpp": "another program",
    "g++ -B/tmp/mine/ x.cpp": "another program",
    "g++ -B /tmp/mine/ x.cpp": "another program",
    "g++ -fplugin=/tmp/p.so x.cpp": "another program",
    "g++ -specs=/tmp/s x.cpp": "another program",
    "g++ @/tmp/options x.cpp": "response files",
    "g++ -Wl,--plugin,/tmp/p.so x.cpp": "not an option",
    "g++ -Xlinker -plugin x.cpp": "another program",
    "g++ -fuse-ld=gold x.cpp": "another program",
    "g++ x.cpp -o": "not a path",
    "g++ -D 'X=$(touch /tmp/o)' x.cpp": "not an option",
    "g++ /tmp/run.sh": "neither an option nor a C++ source",
}


@pytest.mark.parametrize("command", INDUCTOR)
@needs_gxx
def test_the_commands_inductor_writes_are_run_as_written(command):
    argv = command.split()
    assert compiler_rules.check(argv) == [compiler_rules.driver(), *argv[1:]]


@pytest.mark.parametrize("command", sorted(REFUSED))
@needs_gxx
def test_other_programs_and_options_that_start_them_are_refused(command):
    import re
    import shlex

    with pytest.raises(compiler_rules.Refused, match=re.escape(REFUSED[command])):
        compiler_rules.check(shlex.split(command))


@needs_gxx
def test_the_toolchain_is_the_drivers_own_programs_and_the_loader():
    files = compiler_rules.toolchain()
    names = {os.path.basename(f) for f in files}
    assert compiler_rules.driver() in files
    assert {"cc1plus", "collect2"} <= names and any(n.startswith("ld-linux") for n in names)
    assert not any(n in names for n in ("sh", "bash", "dash", "env"))
    assert os.path.realpath(sys.executable) not in files


@needs_gxx
@needs_layers
def test_the_helpers_own_landlock_domain_runs_the_compiler_and_nothing_else(tmp_path):
    """The second layer, without the first: a process confined as the helper is (no rules
    checked) may execute g++, but not a shell, python, or a file written where it may write."""
    written = tmp_path / "mine"
    shutil.copy("/usr/bin/true", written)
    written.chmod(0o755)
    targets = {"g++": [compiler_rules.driver(), "--version"], "sh": ["/bin/sh", "-c", "true"],
               "python": [sys.executable, "-c", "pass"], "written": [str(written)]}
    files = compiler_rules.toolchain()
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            compiler.confine_helper(str(tmp_path), read_paths(), files, no_namespaces=False)
            codes = {}
            for name, argv in targets.items():
                child = os.fork()
                if child == 0:
                    try:
                        null = os.open("/dev/null", os.O_WRONLY)
                        os.dup2(null, 1)
                        os.execv(argv[0], argv)
                    except OSError as err:
                        os._exit(100 + err.errno)
                    os._exit(99)
                codes[name] = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
            os.write(report_w, json.dumps(codes).encode())
        finally:
            os._exit(0)
    os.close(report_w)
    codes = json.loads(os.read(report_r, 4096))
    os.waitpid(pid, 0)
    denied = 100 + 13  # EACCES: Landlock refuses the execute right
    assert codes == {"g++": 0, "sh": denied, "python": denied, "written": denied}




@needs_gxx
@needs_layers
def test_a_workers_hostile_code_cannot_start_a_program_directly_or_through_the_helper(tmp_path):
    """A run asking for the helper gets a worker forked for it (a spare is ready and not
    taken). Its code, holding the helper's socket, cannot exec or fork; the helper refuses
    every program but the compiler and every option that would start one; the compiler
    cannot read a file outside the sandbox or write outside its folder."""
    secret = tmp_path / "secret.h"
    secret.write_text('#error SECRET-in-the-file\n')
    out = tmp_path / "out"
    code = compiler_hostile.code(str(secret), str(out))
    scheduler = Scheduler(workers=1, pool=WarmPool(spares=1, spare_wait_s=20.0))
    scheduler.warm_up(spares=True)
    try:
        plain = scheduler.submit("a", "run", {"code": "import torch" + compiler_hostile.CONTRACT},
                                 limits=LIMITS).result(timeout=120)
        result = scheduler.submit("b", "run", {"code": code, "compiler": True},
                                  limits=LIMITS).result(timeout=120)
    finally:
        scheduler.shutdown()
    assert plain["status"] == "ok" and plain["sandbox"]["spare"] is True, plain
    assert result["status"] == "ok", result
    assert result["sandbox"]["spare"] is False
    assert compiler_hostile.problems(result) == []
    assert not out.exists()


def test_a_host_without_gxx_has_no_helper_and_the_speed_row_says_why(monkeypatch):
    from explorer.sandbox.report import Report
    from explorer.training import speed

    monkeypatch.setattr(compiler, "_missing", None)   # restored afterwards
    monkeypatch.setattr(compiler_rules.shutil, "which", lambda *args, **kwargs: None)
    report = Report()
    compiler.start(report, "/nonexistent", [], no_namespaces=False)
    assert report["compiler"] == {"works": False, "detail": "no compiler helper: no C++ "
                                  "compiler (g++) is installed on this host"}
    assert compiler.available() is None
    row = speed.compiled(trainer=None, first=0, timeout=1.0, stop=lambda: False)
    assert row["status"] == "not available"
    assert row["reason"].endswith("needs a C++ compiler: no C++ compiler (g++) is installed "
                                  "on this host")
