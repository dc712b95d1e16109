"""A server's process tree on a host that refuses new namespaces, for
tests/test_hosting_no_namespaces.py: started by ``scripts/without_namespaces.py`` (as root or as
an unprivileged uid), in strict mode, it runs the hostile corpus of tests/test_sandbox_hostile.py,
the same-uid attacks below and every lesson (benign: their graphs must be drawn) through one warm
pool (a spare warmed up first, then spares and forked workers), and writes what it saw as JSON:

    python tests/hosting_corpus.py OUT_DIR

The targets the snippets must not reach are this process's: its pid, its environment (a
secret), a file of its own, a listening TCP and UNIX socket, the template's pid.
"""
from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import json
import os
import socket
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from explorer import jobs, lessons  # noqa: E402
from explorer.sandbox import Limits, Scheduler, registry  # noqa: E402
from explorer.sandbox.pool import WarmPool  # noqa: E402
from tests import compiler_hostile  # noqa: E402

registry.use(jobs.TABLE)
SECRET = "s3cret-token-of-the-hosted-server"
SERVER_FILE_TEXT = "the server's own file\n"
REPO_CANARY = REPO / "explorer" / "__init__.py"   # a file of the project every worker imports
REPO_NEW = REPO / "explorer" / "hosted-escape.py"

# The same-uid attacks: with no pid namespace, the server and the other workers are in /proc
# and, on a non-root host, run as the worker's own uid. name -> (status, snippet); TEMPLATE_PID,
# SERVER_FILE, REPO_CANARY, REPO_NEW are replaced as in the hostile corpus.
SAME_UID: dict[str, tuple[str, str]] = {
    "read-server-proc-environ": ("blocked", """import torch
print(open("/proc/SERVER_PID/environ", "rb").read())
"""),
    "read-template-proc-maps": ("blocked", """import torch
print(open("/proc/TEMPLATE_PID/maps").read()[:100])
"""),
    "read-neighbour-procs": ("ok", """import torch, os
me, read = os.getpid(), []
for pid in [SERVER_PID, TEMPLATE_PID, *range(max(2, me - 300), me + 300)]:
    if pid == me:
        continue
    for part in ("status", "cmdline", "environ", "mem"):
        try:
            with open(f"/proc/{pid}/{part}", "rb") as f:
                f.read(10)
            read.append((pid, part))
        except OSError:
            pass
print("read", len(read), read[:5])
"""),
    "signal-neighbours": ("ok", """import torch, os
me, reached = os.getpid(), []
for pid in [SERVER_PID, TEMPLATE_PID, *range(max(2, me - 300), me + 300)]:
    if pid == me:
        continue
    try:
        os.kill(pid, 0)
        reached.append(pid)
    except OSError:
        pass
print("reached", len(reached), reached[:5])
"""),
    "kill-every-process": ("blocked", """import torch, os, signal
os.kill(-1, signal.SIGKILL)
"""),
    "kill-template-group": ("blocked", """import torch, os, signal
os.killpg(TEMPLATE_PID, signal.SIGKILL)
"""),
    "ptrace-server": ("blocked", """import torch, ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, SERVER_PID, None, None) != 0:  # PTRACE_ATTACH
    raise OSError(ctypes.get_errno(), "ptrace refused")
"""),
    "process-vm-readv-server": ("blocked", """import torch, ctypes
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(64)
class Iov(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
local, remote = Iov(ctypes.addressof(buf), 64), Iov(0x400000, 64)
if libc.syscall(310, SERVER_PID, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) < 0:
    raise OSError(ctypes.get_errno(), "process_vm_readv refused")
"""),
    "write-server-file": ("blocked", """import torch
open("SERVER_FILE", "a").write("pwned")
"""),
    "write-server-proc-fd": ("blocked", """import torch
open("/proc/SERVER_PID/fd/1", "w").write("pwned")
"""),
    "fcntl-setown-sigio": ("blocked", """import torch, socket, fcntl, os
a, b = socket.socketpair()
fcntl.fcntl(a, fcntl.F_SETOWN, SERVER_PID)
fcntl.fcntl(a, fcntl.F_SETFL, os.O_ASYNC | os.O_NONBLOCK)
b.send(b"x")
"""),
    "sysv-shared-memory": ("blocked", """import torch, ctypes
libc = ctypes.CDLL(None, use_errno=True)
if libc.shmget(0, 1 << 20, 0o1600) < 0:
    raise OSError(ctypes.get_errno(), "shmget refused")
"""),
    "abstract-unix-socket": ("blocked", """import torch, socket
s = socket.socket(socket.AF_UNIX)
s.connect("\\0ABSTRACT_NAME")
"""),
    "fill-temp-bytes": ("blocked", """import torch
block = b"x" * (8 << 20)
for i in range(200):
    with open(f"fill-{i}", "wb") as f:
        f.write(block)
"""),
    "fill-temp-entries": ("blocked", """import torch, time
for i in range(100_000):
    open(f"n{i}", "w").close()
time.sleep(30)
"""),
    "fill-shared-tmp": ("blocked", """import torch
open("/tmp/explorer-hosted-fill", "wb").write(b"x" * (1 << 20))
"""),
    "write-repository": ("blocked", """import torch
open("REPO_CANARY", "a").write("pwned")
"""),
    "create-in-repository": ("blocked", """import torch
open("REPO_NEW", "w").write("pwned")
"""),
}
# The statuses a case may end with, where they are not the corpus's one. Without a pid
# namespace /proc itself cannot be listed (Landlock), where with one it listed only the worker.
# Creating files on a busy disk may be slow enough (500 a second measured here, under load) for
# the wall clock to stop the run before the 4,097th file does: contained either way.
WITHOUT_NAMESPACES = {"proc-other-process": ["blocked"],
                      "fill-temp-entries": ["blocked", "timeout"],
                      # a container's root (no CAP_DAC_READ_SEARCH) gives the worker its slot's
                      # uid and no capability, so it is not dumpable: even its own
                      # /proc/self/environ is refused. No secret either way (checked after).
                      "torch-os-environ": ["ok", "blocked"],
                      # nor can that uid look into the test's 0700 folder: torch.save says
                      # its parent directory does not exist (nothing is written: checked after)
                      "torch-save-outside": ["blocked", "error"]}
LIMITS = Limits(wall_s=8.0, cpu_s=8.0, memory_mb=512, threads=64, output_bytes=100_000,
                result_bytes=8_000_000)
LESSON_LIMITS = Limits(wall_s=60.0, cpu_s=120.0)


COMPILER_CASE = "compiler-helper"  # tests/compiler_hostile.py: a run with the helper


def hostile_module():
    spec = importlib.util.spec_from_file_location(
        "hostile_corpus", REPO / "tests" / "test_sandbox_hostile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def namespaces_refused() -> dict[str, int]:
    """The errno of each namespace this process may not make (the launcher's filter): 0 where
    one was made, which would make the test meaningless."""
    libc = ctypes.CDLL(None, use_errno=True)
    refused = {}
    for name, flag in (("user", 0x10000000), ("mount", 0x00020000), ("pid", 0x20000000),
                       ("net", 0x40000000)):
        pid = os.fork()
        if pid == 0:  # in a child, so that a namespace that was made changes nothing here
            os._exit(0 if libc.unshare(flag) == 0 else ctypes.get_errno())
        refused[name] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return refused


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(out_dir: str) -> int:
    out = Path(out_dir)
    hostile = hostile_module()
    folder = out / "targets"
    folder.mkdir()
    secret_file, server_file = folder / "secret.txt", folder / "server-file.txt"
    secret_file.write_text(SECRET)
    server_file.write_text(SERVER_FILE_TEXT)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(folder / "server.sock"))
    unix.listen(8)
    unix.setblocking(False)
    abstract = socket.socket(socket.AF_UNIX)
    abstract_name = f"explorer-hosted-server-{os.getpid()}"  # two corpora may run at once
    abstract.bind(f"\0{abstract_name}")
    abstract.listen(8)
    abstract.setblocking(False)
    os.environ["EXPLORER_TEST_SECRET"] = SECRET
    canary = digest(REPO_CANARY)
    pool = WarmPool(spares=1, spare_wait_s=0.0)
    scheduler = Scheduler(workers=2, queue_limit=200, pool=pool)
    pool.get()
    spares_ready = pool.wait_spares(timeout=240)
    template_pid = int(pool.state()["pid"])
    targets = {"OUT": "", "SECRET_FILE": str(secret_file), "SERVER_FILE": str(server_file),
               "UNIX_SOCKET": str(folder / "server.sock"),
               "PORT": str(listener.getsockname()[1]), "SERVER_PID": str(os.getpid()),
               "TEMPLATE_PID": str(template_pid), "REPO_CANARY": str(REPO_CANARY),
               "REPO_NEW": str(REPO_NEW), "ABSTRACT_NAME": abstract_name}
    expected, tickets, outs = {}, {}, {}
    started = time.monotonic()
    corpus = {**hostile.CASES, **SAME_UID}
    for name in [*corpus, *hostile.FAULTS]:
        outs[name] = folder / f"{name}.out"
        if name in hostile.FAULTS:
            status, code = hostile.FAULTS[name]
        else:
            status, code = corpus[name]
            code += hostile.CONTRACT
            for key, value in {**targets, "OUT": str(outs[name])}.items():
                code = code.replace(key, value)
        expected[name] = WITHOUT_NAMESPACES.get(name, [status])
        tickets[name] = scheduler.submit(name, "run", {"code": code}, limits=LIMITS,
                                         pool="warm")
    outs[COMPILER_CASE] = folder / f"{COMPILER_CASE}.out"  # the compiler helper's corpus
    expected[COMPILER_CASE] = ["ok"]
    tickets[COMPILER_CASE] = scheduler.submit(
        COMPILER_CASE, "run", {"code": compiler_hostile.code(str(secret_file),
                                                             str(outs[COMPILER_CASE])),
                               "compiler": True}, limits=LIMITS, pool="warm")
    tickets["_probe"] = scheduler.submit(
        "_probe", "_probe", {"port": listener.getsockname()[1], "server_pid": os.getpid(),
                             "outside_file": str(folder / "probe.out"),
                             "secret_file": str(secret_file),
                             "secret_name": "EXPLORER_TEST_SECRET"},
        limits=LESSON_LIMITS, pool="warm")
    for lesson in lessons.all_lessons():
        name = f"lesson:{lesson.name}"
        expected[name] = ["error" if lesson.teaches_error else "ok"]
        tickets[name] = scheduler.submit(name, "explore", {"code": lesson.code, "seed": 0},
                                         limits=LESSON_LIMITS, pool="warm")
    results = {name: ticket.result(timeout=400) for name, ticket in tickets.items()}
    probe = results.pop("_probe")
    elapsed = time.monotonic() - started
    state = pool.state()
    report_layers = next((r.get("layers") for r in results.values() if r.get("layers")), None)
    scheduler.shutdown()
    os.environ.pop("EXPLORER_TEST_SECRET", None)
    connections = hostile.accepted((listener, unix, abstract))
    (out / "results.json").write_text(json.dumps({
        "results": results, "expected": expected, "uid": os.getuid(),
        "server_pid": os.getpid(), "template_pid": template_pid, "spares_ready": spares_ready,
        "served": state.get("served", {}), "template_alive": state["started"],
        "connections": connections, "elapsed_s": round(elapsed, 1),
        "written_outside": sorted(n for n, path in outs.items() if path.exists()),
        "server_file_intact": server_file.read_text() == SERVER_FILE_TEXT,
        "repo_canary_intact": digest(REPO_CANARY) == canary,
        "repo_new_absent": not REPO_NEW.exists(),
        "shared_tmp_absent": not Path("/tmp/explorer-hosted-fill").exists(),
        "blocked_layers": report_layers, "probe": probe,
        "namespaces_refused": namespaces_refused()}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
