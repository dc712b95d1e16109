"""A corpus of hostile and broken snippets, run through the warm pool: each case asserts the
status the user sees and that its side effect did not happen (no file written outside the
worker's temp folder, no connection made, no secret leaked, the server alive).

All cases are submitted at once to a two-worker scheduler (as a busy server would see them),
then checked one by one, twice: on workers forked for their run (the path of a busy server,
and of a template with no spare), and on pre-warmed spare workers (confined before their
request, warmed up, then lowered to the run's limits), every run waiting for a spare."""
from __future__ import annotations

import json
import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from explorer import jobs
from explorer.sandbox import Limits, Scheduler, registry
from explorer.sandbox.layers import REPO_DIR
from explorer.sandbox.pool import WarmPool

registry.use(jobs.TABLE)

SECRET = "s3cret-token-for-the-sandbox-tests"
LIMITS = Limits(wall_s=5.0, cpu_s=5.0, memory_mb=512, threads=64, output_bytes=100_000,
                result_bytes=8_000_000)
CONTRACT = """

def inputs():
    return torch.ones(2, requires_grad=True)


def forward(x):
    return (x * 2).sum()
"""
# name -> (expected status, snippet). OUT is a path outside the worker (must stay absent),
# SECRET_FILE a file it must not read, PORT a listening TCP port on the server's loopback,
# UNIX_SOCKET a listening UNIX socket, SERVER_PID the test process.
CASES: dict[str, tuple[str, str]] = {
    # -- Python escapes -------------------------------------------------------------------
    "subclasses-popen": ("blocked", """import torch
popen = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "Popen"]
if not popen:
    import subprocess
    popen = [subprocess.Popen]
popen[0](["touch", "OUT"]).wait()
"""),
    "subclasses-wrap-close-os": ("blocked", """import torch
wrap = [c for c in object.__subclasses__() if c.__name__ == "_wrap_close"][0]
os_module = wrap.__init__.__globals__
os_module["system"]("touch OUT")
fd = os_module["open"]("OUT", os_module["O_WRONLY"] | os_module["O_CREAT"])
"""),
    "generator-frame-builtins": ("blocked", """import torch
gen = (x for x in [1])
frame = gen.gi_frame
while frame.f_back is not None:
    frame = frame.f_back
frame.f_globals["__builtins__"]["open"]("OUT", "w").write("x") \
    if isinstance(frame.f_globals["__builtins__"], dict) \
    else frame.f_globals["__builtins__"].open("OUT", "w").write("x")
"""),
    "builtins-import-os": ("blocked", """import torch
__builtins__.__import__("os").open("OUT", 0o101, 0o644)
"""),
    "format-string-globals": ("ok", """import torch, tempfile
print("{0.__globals__[_os].environ}".format(tempfile.mkdtemp))
"""),
    # -- the torch and TensorFlow routes to the OS ----------------------------------------
    "torch-os-open": ("blocked", """import torch
torch.os.open("OUT", torch.os.O_WRONLY | torch.os.O_CREAT)
"""),
    "torch-os-environ": ("ok", """import torch
print(dict(torch.os.environ), open("/proc/self/environ", "rb").read())
"""),
    "torch-ctypes-libc-open": ("blocked", """import torch
libc = torch.ctypes.CDLL(None, use_errno=True)
if libc.open(b"OUT", 0o101, 0o644) < 0:
    raise OSError(torch.ctypes.get_errno(), "open(2) refused: Permission denied")
"""),
    "torch-ctypes-libc-system": ("ok", """import torch
rc = torch.ctypes.CDLL(None).system(b"touch OUT")
print("system returned", rc)
"""),
    "torch-importlib-subprocess": ("blocked", """import torch
torch.importlib.import_module("subprocess").run(["touch", "OUT"])
"""),
    "torch-save-outside": ("blocked", """import torch
torch.save(torch.ones(3), "OUT")
"""),
    "torch-load-pickle": ("blocked", """import torch, os, pickle
class Evil:
    def __reduce__(self):
        return (os.open, ("OUT", os.O_WRONLY | os.O_CREAT))
with open("evil.pt", "wb") as f:
    pickle.dump(Evil(), f)
torch.load("evil.pt", weights_only=False)
"""),
    "torch-from-file-secret": ("blocked", """import torch
print(torch.from_file("SECRET_FILE", size=8, dtype=torch.uint8))
"""),
    "tf-io-write": ("blocked", """import torch
import tensorflow as tf
tf.io.write_file("OUT", "x")
"""),
    "tf-io-read-secret": ("blocked", """import torch
import tensorflow as tf
print(tf.io.read_file("SECRET_FILE"))
"""),
    "tf-py-function": ("blocked", """import torch, os
import tensorflow as tf
def escape(x):
    os.open("OUT", os.O_WRONLY | os.O_CREAT)
    return x
tf.py_function(escape, [tf.constant(1.0)], tf.float32)
"""),
    # -- pickle, processes, sockets, other processes --------------------------------------
    "pickle-loads-subprocess": ("blocked", """import torch, pickle, subprocess
pickle.loads(b"csubprocess\\ncheck_call\\n((S'touch'\\nS'OUT'\\nltR.")
"""),
    "subprocess-run": ("blocked", """import torch, subprocess
subprocess.run(["touch", "OUT"], check=True)
"""),
    "os-posix-spawn": ("blocked", """import torch, os
os.posix_spawn("/usr/bin/touch", ["touch", "OUT"], {})
"""),
    "os-execv": ("blocked", """import torch, os
os.execv("/usr/bin/touch", ["touch", "OUT"])
"""),
    "socket-connect-tcp": ("blocked", """import torch, socket
socket.create_connection(("127.0.0.1", PORT), timeout=2).sendall(b"hello")
"""),
    "socket-connect-unix": ("blocked", """import torch, socket
s = socket.socket(socket.AF_UNIX)
s.connect("UNIX_SOCKET")
s.sendall(b"hello")
"""),
    "proc-other-process": ("error", """import torch
print([p for p in __import__("os").listdir("/proc") if p.isdigit()])
print(open("/proc/SERVER_PID/environ").read())
"""),
    "kill-server": ("blocked", """import torch, os, signal
os.kill(SERVER_PID, signal.SIGKILL)
"""),
    "kill-parent-group": ("blocked", """import torch, os, signal
os.kill(os.getppid(), signal.SIGKILL)
"""),
    "setuid-root": ("blocked", """import torch, os
os.setuid(0)
"""),
    "read-repository-git": ("blocked", f"""import torch
print(open("{REPO_DIR}/pyproject.toml").read())
"""),
    "write-dev-shm": ("blocked", """import torch
open("/dev/shm/explorer-escape", "w").write("x")
"""),
    # -- resources ------------------------------------------------------------------------
    "cpu-loop": ("timeout", """import torch
while True:
    pass
"""),
    "huge-integer": ("memory", """import torch
x = 1 << (10 ** 11)
"""),
    "huge-integer-slow": ("timeout", """import torch
x = 10 ** (10 ** 10)
"""),
    "memory-bytearray": ("memory", """import torch
x = bytearray(8 * 1024 ** 3)
"""),
    "memory-torch": ("memory", """import torch
x = torch.empty(4 * 1024 ** 3)
"""),
    "memory-gradual": ("memory", """import torch
chunks = []
while True:
    chunks.append(bytearray(50_000_000))
"""),
    "memory-shared-mmap": ("memory", """import torch, mmap
m = mmap.mmap(-1, 8 << 30)
"""),
    "fork-bomb": ("blocked", """import torch, os
while True:
    os.fork()
"""),
    "thread-bomb": ("blocked", """import torch, threading, time
while True:
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
"""),
    "output-flood": ("output-limit", """import torch
while True:
    print("x" * 1000)
"""),
    "deep-recursion": ("error", """import torch
def down(n):
    return down(n + 1)
down(0)
"""),
    "deep-recursion-c-stack": ("crashed", """import torch, sys
sys.setrecursionlimit(10 ** 8)
def down(n):
    return list(map(down, [n + 1]))  # through C: each level takes C stack
down(0)
"""),
    "huge-result": ("output-limit", """import torch, os, socket, stat
for fd in range(3, 64):
    try:
        is_socket = stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        continue
    if is_socket:
        os.write(fd, b'{"kind": "event", "data": "' + b"x" * 20_000_000 + b'"}\\n')
"""),
    "long-sleep": ("timeout", """import torch, time
time.sleep(100)
"""),
    "segfault": ("crashed", """import torch, ctypes
ctypes.string_at(0)
"""),
    "exit-process": ("crashed", """import torch, os
os._exit(3)
"""),
}
# The ordinary faults: whole snippets, not an attack plus the contract.
FAULTS: dict[str, tuple[str, str]] = {
    "syntax-error": ("syntax", "import torch\ndef forward(x):\n    return x +\n"),
    "shape-mismatch": ("error", """import torch
layer = torch.nn.Linear(3, 4)
def inputs():
    return torch.ones(1, 5)
def forward(x):
    return layer(x).sum()
"""),
    "nan": ("ok", """import torch
def inputs():
    return torch.zeros(2, requires_grad=True)
def forward(x):
    return (x / x).sum()
"""),
    "no-forward": ("error", "import torch\nlayer = torch.nn.Linear(2, 2)\n"),
    "sys-exit": ("error", """import torch, sys
def inputs():
    return torch.ones(2, requires_grad=True)
def forward(x):
    sys.exit(0)
"""),
}


def _snippet(name: str, targets: dict[str, str]) -> str:
    if name in FAULTS:
        return FAULTS[name][1]
    text = CASES[name][1] + CONTRACT
    for key, value in targets.items():
        text = text.replace(key, value)
    return text


def accepted(servers) -> int:
    """How many of the listening, non-blocking ``servers`` a connection reached (each is
    closed): what a hostile snippet got through to."""
    connections = 0
    for server in servers:
        try:
            server.accept()
            connections += 1
        except BlockingIOError:
            pass
        server.close()
    return connections


PATHS = ("forked", "spare")


def run_corpus(path: str, folder: Path) -> dict:
    """Every case once (two workers), with the targets they must not reach: on workers
    forked for their run, or each on a spare (a run waits for one to be ready)."""
    pool = WarmPool(spares=0) if path == "forked" else WarmPool(spares=2, spare_wait_s=20.0)
    secret_file = folder / "secret.txt"
    secret_file.write_text(SECRET)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(folder / "server.sock"))
    unix.listen(8)
    unix.setblocking(False)
    scheduler = Scheduler(workers=2, queue_limit=100, pool=pool)
    names = [*CASES, *FAULTS]
    outs = {name: folder / f"{name}.out" for name in names}
    try:
        tickets = {name: scheduler.submit(
            name, "run", {"code": _snippet(name, {
                "OUT": str(outs[name]), "SECRET_FILE": str(secret_file),
                "UNIX_SOCKET": str(folder / "server.sock"),
                "PORT": str(listener.getsockname()[1]), "SERVER_PID": str(os.getpid())})},
            limits=LIMITS, pool="warm") for name in names}
        results = {name: ticket.result(timeout=300) for name, ticket in tickets.items()}
        state = scheduler.pool.state()
        template_alive = state["started"]
    finally:
        scheduler.shutdown()
    connections = accepted((listener, unix))
    return {"results": results, "outs": outs, "connections": connections,
            "template_alive": template_alive, "path": path, "served": state["served"]}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """Both paths at once, each with its own scheduler, template and targets (each keeps
    the 2 cores busy about two thirds of the time: together they take about the time of
    the slower, not the sum)."""
    os.environ["EXPLORER_TEST_SECRET"] = SECRET
    try:
        with ThreadPoolExecutor(len(PATHS)) as threads:
            futures = {path: threads.submit(run_corpus, path, tmp_path_factory.mktemp("outside"))
                       for path in PATHS}
            yield {path: future.result() for path, future in futures.items()}
    finally:
        os.environ.pop("EXPLORER_TEST_SECRET", None)


@pytest.fixture(scope="module", params=PATHS)
def corpus(request, corpora):
    return corpora[request.param]


@pytest.mark.parametrize("name", [*CASES, *FAULTS])
def test_hostile_snippet(corpus, name):
    result = corpus["results"][name]
    expected = (CASES.get(name) or FAULTS[name])[0]
    assert result is not None, "no result"
    assert result["status"] == expected, result
    if expected != "ok":
        assert result["message"]
    text = json.dumps(result)
    assert SECRET not in text                        # neither the env var nor the file
    assert not corpus["outs"][name].exists()         # the file outside was not written
    assert corpus["connections"] == 0                # no connection reached the server
    assert corpus["template_alive"]                  # the server's template survived
    os.kill(os.getpid(), 0)                          # and so did the server


def test_corpus_is_large_enough():
    assert len(CASES) + len(FAULTS) >= 30


def test_every_case_ran_on_the_path_under_test(corpus):
    served, count = corpus["served"], len(CASES) + len(FAULTS)
    if corpus["path"] == "spare":
        assert (served["spare"], served["forked"]) == (count, 0), served
        spared = [r for r in corpus["results"].values() if "sandbox" in r]
        assert spared and all(r["sandbox"]["spare"] for r in spared)
    else:
        assert (served["spare"], served["forked"]) == (0, count), served


@pytest.mark.parametrize("name, line", [("syntax-error", 3), ("shape-mismatch", 6)])
def test_user_errors_name_the_line(corpus, name, line):
    result = corpus["results"][name]
    assert result["line"] == line and result["source_line"]


def test_timeouts_name_the_line_that_was_running(corpus):
    sleep, loop = corpus["results"]["long-sleep"], corpus["results"]["cpu-loop"]
    assert (sleep["line"], sleep["source_line"]) == (2, "time.sleep(100)")
    assert loop["line"] in (2, 3) and loop["source_line"] in ("while True:", "    pass")
    assert sleep["message"].startswith("line 2: ")


def test_blocked_says_what_was_refused(corpus):
    kinds = {name: corpus["results"][name].get("blocked") for name in
             ("subprocess-run", "socket-connect-tcp", "torch-save-outside")}
    assert kinds == {"subprocess-run": "process", "socket-connect-tcp": "network",
                     "torch-save-outside": "file"}


def test_nan_is_reported(corpus):
    result = corpus["results"]["nan"]
    assert result["nan"] is True and result["outputs"][0]["nan"] is True


def test_environment_and_proc_show_nothing_of_the_server(corpus):
    assert "['1']" in corpus["results"]["proc-other-process"]["stdout"]  # only itself
    assert corpus["results"]["torch-os-environ"]["stdout"]
    assert sys.executable  # the test process still runs


def test_system_call_refused_without_exception(corpus):
    assert "system returned -1" in corpus["results"]["torch-ctypes-libc-system"]["stdout"] \
        or "system returned 32512" in corpus["results"]["torch-ctypes-libc-system"]["stdout"]


def test_output_is_bounded(corpus):
    assert len(corpus["results"]["output-flood"]["stdout"]) <= LIMITS.output_bytes
    assert Path(corpus["outs"]["cpu-loop"]).parent.exists()
