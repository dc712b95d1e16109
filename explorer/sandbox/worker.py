"""The worker: one child of the template per run. It reads its request, confines itself
(``layers.confine``), runs one job with the user's output captured, and streams JSON records
back on the data channel (see ``protocol``). Then it exits; nothing of it is reused.

A spare (``spare_main``) is the same worker forked before its request: it confines itself
first, with the loosest limits of any job, then warms up on our own code (``warm``), says it
is ready, and waits. Its request lowers the rlimits to the run's own; from there on it is an
ordinary worker, used once.

The user's prints go to a bounded buffer, never to the data channel, and a flood stops the
run at once. Failures are told in the user's terms: ``memory`` for an allocation the limits
refused, ``blocked`` (with what: file, network, process) for an operation a layer refused."""
from __future__ import annotations

import contextlib
import io
import json
import linecache
import os
import re
import resource
import signal
import socket
import sys
import time

from explorer.sandbox import channel, layers
from explorer.sandbox.limits import Limits

MAX_REQUEST = 8_000_000

MEMORY = re.compile(r"MemoryError|can't allocate memory|Cannot allocate memory|\[Errno 12\]|"
                    r"out of memory|ResourceExhausted|std::bad_alloc")
BLOCKED = re.compile(r"PermissionError|PermissionDenied|Permission denied|Operation not "
                     r"permitted|\[Errno (1|13|101|27)\]|Network is unreachable|File too large|"
                     r"can't start new thread|Resource temporarily unavailable")
# Audit events (PEP 578) that name what the refused operation was; diagnostics only, the
# boundary is the kernel's.
EVENT_KINDS = {"open": "file", "os.": "file", "shutil.": "file", "tempfile.": "file",
               "socket.": "network", "urllib.": "network", "http.": "network",
               "os.fork": "process", "os.forkpty": "process", "os.system": "process",
               "os.exec": "process", "os.posix_spawn": "process", "os.spawn": "process",
               "subprocess.": "process", "os.kill": "process", "os.killpg": "process",
               "_thread.start_new_thread": "process", "ctypes.": "system call"}
WHAT = {"file": "use a file outside its temporary folder (or past its size limit)",
        "network": "use the network", "process": "start or signal a process or thread",
        "system call": "make a system call the sandbox forbids"}


class OutputLimit(BaseException):
    """Raised in the user's code when it prints past the limit; a BaseException so that an
    ``except Exception`` in the snippet does not swallow it."""


class BoundedText(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters and stops the run past them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.overflow = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
        self.size += len(text)
        if self.size > self.limit:
            self.overflow = True
            raise OutputLimit()
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


class Audit:
    """The last sensitive operation the user's code asked for, by kind."""

    def __init__(self) -> None:
        self.last: tuple[str, str] | None = None

    def __call__(self, event: str, args: tuple) -> None:
        kind = EVENT_KINDS.get(event) or next(
            (k for prefix, k in EVENT_KINDS.items() if prefix.endswith(".")
             and event.startswith(prefix)), None)
        if kind:
            detail = str(args[0])[:200] if args else ""
            self.last = (kind, f"{event} {detail}".strip())


def classify(result: dict, audit: Audit | None) -> dict:
    """Turn a user ``error`` that was really a refused resource into ``memory``/``blocked``."""
    if result.get("status") != "error":
        return result
    text = f"{result.get('error_type') or ''} {result.get('message') or ''}"
    if MEMORY.search(text):
        return {**result, "status": "memory",
                "message": "Your code asked for more memory than a run may use. "
                           + (result.get("message") or "")}
    if BLOCKED.search(text):
        kind = "process" if "thread" in text or "Resource temporarily" in text else None
        if kind is None and audit is not None and audit.last \
                and audit.last[0] in ("process", "network"):
            kind = audit.last[0]  # the last process or network operation asked for
        if kind is None and re.search(r"Errno 1[3]?\] .*: '|file|PermissionDenied|Network|"
                                      r"socket", text):
            kind = "network" if re.search(r"Network|socket", text) else "file"
        kind = kind or "system call"
        return {**result, "status": "blocked", "blocked": kind,
                "message": f"The sandbox refused your code's attempt to {WHAT[kind]}. "
                           + (result.get("message") or "")}
    return result


def escaped(exc: BaseException, sink: BoundedText) -> dict:
    """A result for an exception that escaped the job itself."""
    if isinstance(exc, OutputLimit) or sink.overflow:
        return {"status": "output-limit",
                "message": f"Your code printed more than {sink.limit:,} characters and was "
                           "stopped. Print less (a shape, not a whole tensor)."}
    if isinstance(exc, MemoryError):
        return {"status": "memory", "message": "Your code asked for more memory than a run "
                                               "may use (MemoryError)."}
    if isinstance(exc, SystemExit):
        return {"status": "error", "error_type": "SystemExit", "line": None,
                "message": "Your code called exit(); a snippet returns from forward instead."}
    from explorer import snippet

    return snippet.as_user_error(exc).to_json()


WHERE_MARGIN_S = 0.5  # before the server's wall clock runs out: say which line is running


def _say_where(_signum: int, frame) -> None:
    """SIGALRM: the innermost frame of the user's code, to the server. Never raises."""
    from explorer import snippet

    while frame is not None and frame.f_code.co_filename != snippet.SNIPPET_FILE:
        frame = frame.f_back
    if frame is None:
        return
    try:
        channel.where(frame.f_lineno, snippet.source_line(
            linecache.getlines(snippet.SNIPPET_FILE), frame.f_lineno))
    except OSError:
        pass


@contextlib.contextmanager
def where_before_timeout(limits: Limits):
    """Just before the run's wall clock runs out, tell the server which line of the user's
    code is running, so that a timeout names it (a loop that never ends). Python runs the
    handler between bytecodes: code stuck inside one long C call gets no line."""
    previous = signal.signal(signal.SIGALRM, _say_where)
    signal.setitimer(signal.ITIMER_REAL, max(0.1, limits.wall_s - WHERE_MARGIN_S))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def serve(request: dict, limits: Limits, audit: Audit | None = None) -> dict:
    """Run one job with the user's output captured; the result gains ``stdout``."""
    sink = BoundedText(limits.output_bytes)
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                where_before_timeout(limits):
            result = run_job(request)
        if sink.overflow:  # the user's code caught OutputLimit and carried on
            raise OutputLimit()
    except BaseException as exc:  # noqa: BLE001 - the user's code may raise anything
        result = escaped(exc, sink)
    if not isinstance(result, dict) or "status" not in result:
        result = {"status": "crashed", "message": "The job returned no result."}
    result = classify(result, audit)
    result["stdout"] = sink.getvalue()
    return result


def run_job(request: dict) -> dict:
    """Dispatch to ``explorer.jobs.<job>.run``, or to the sandbox's own self-test."""
    from explorer import jobs

    name = request.get("job", "")
    if name == "_probe":  # the sandbox's self-test (doctor), not a user job
        from explorer.sandbox import probe

        return probe.run(request)
    return jobs.dispatch(name, request)


def refusal(report: layers.Report, mode: str) -> dict | None:
    """In strict mode, the result that refuses to run user code when a layer is missing."""
    missing = report.missing()
    if mode != "strict" or not missing:
        return None
    return {"status": "blocked", "blocked": "sandbox", "layers": report,
            "message": "This server runs in strict mode and these sandbox layers do not work "
                       f"here: {', '.join(missing)}. Your code was not run."}


def read_request(sock: socket.socket) -> dict:
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(1 << 16)
        if not chunk or len(data) > MAX_REQUEST:
            raise EOFError("no request")
        data += chunk
    line, _, rest = data.partition(b"\n")
    channel._pending = rest  # controls the server sent after the request
    return json.loads(line)


def main(data_fd: int, run_dir: str, preloaded: bool) -> None:
    """The worker's whole life, in the forked child; it never returns into the template."""
    sock = socket.socket(fileno=data_fd)
    message = read_request(sock)
    limits = Limits.from_json(message.get("limits", {}))
    start = time.perf_counter()
    cuda = str(message.get("request", {}).get("device", "cpu")).startswith("cuda")
    report = layers.confine(run_dir, limits, int(message.get("slot", 0)), preloaded, cuda)
    info = {"confine_s": round(time.perf_counter() - start, 4), "preloaded": preloaded,
            "spare": False, "threads_at_confine": layers.thread_count()}
    respond(sock, message, limits, report, info)


def spare_main(data_fd: int, ready_fd: int, run_dir: str, slot: int, confined_with: Limits,
               warm_up: bool = True, low_priority: bool = False) -> None:
    """A spare's whole life: confine (every layer, loosest limits, uid slot ``slot``), warm
    up, write one JSON line on ``ready_fd`` and close it, wait for the request on
    ``data_fd``, lower the limits to the run's, then serve it like ``main``. With
    ``low_priority`` it warms up at nice 19; the template renices it before the request.

    Nothing starts a thread before the last layer is in place (Landlock and seccomp bind the
    calling thread and the threads it starts later; the namespaces need a single thread), so
    the warm-up's pools are as confined as the user's code will be."""
    born = time.monotonic()
    if low_priority:
        layers.lower_priority()
    root = layers.can_drop_uid()  # before the uid drop: decides RLIMIT_NPROC below too
    start = time.perf_counter()
    report = layers.confine(run_dir, confined_with, slot, True)
    confine_s = time.perf_counter() - start
    threads = layers.thread_count()
    warmed = {"ok": False, "s": 0.0, "steps": {}}
    if warm_up:
        from explorer.sandbox import warm

        warmed = warm.run(run_dir)
    status, cpu = layers._vm_status(), _cpu_s()
    os.write(ready_fd, json.dumps({"ready": True, "cpu_s": cpu, "warm": warmed["ok"]}).encode()
             + b"\n")
    os.close(ready_fd)
    ready = time.monotonic()
    sock = socket.socket(fileno=data_fd)
    message = read_request(sock)
    requested = time.monotonic()
    limits = Limits.from_json(message.get("limits", {}))
    try:
        layers.lower_rlimits(report, limits, status, cpu, root)
    except OSError as err:
        channel.attach(sock)
        channel.finish({"status": "crashed", "stdout": "", "message": "The sandbox could not "
                        f"apply this run's limits ({err}). Your code was not run."})
        return
    info = {"confine_s": round(confine_s, 4), "preloaded": True, "spare": True,
            "threads_at_confine": threads, "warm": warmed,
            "warmed_before_request": ready <= requested, "ready_after_s": round(ready - born, 3),
            "waited_s": round(requested - ready, 3), "warm_cpu_s": round(cpu, 3),
            "threads_at_request": layers.thread_count(),
            "nice": os.getpriority(os.PRIO_PROCESS, 0), "autogroup_nice": _autogroup_nice()}
    respond(sock, message, limits, report, info)


def _autogroup_nice() -> int | None:
    try:
        return int(open("/proc/self/autogroup").read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def respond(sock: socket.socket, message: dict, limits: Limits, report: layers.Report,
            info: dict) -> None:
    """Run the request on a confined worker and send the result."""
    channel.attach(sock)
    request = {**message.get("request", {}), "job": message.get("job", "")}
    if request["job"] == "_probe":
        request["layers"] = report
    result = refusal(report, message.get("mode", "relaxed"))
    if result is None:
        audit = Audit()
        sys.addaudithook(audit)
        result = serve(request, limits, audit)
    result["sandbox"] = info
    data = json.dumps(result, default=str)
    if len(data) > limits.result_bytes:
        result = {"status": "output-limit", "stdout": result.get("stdout", "")[:10_000],
                  "message": f"The result is {len(data):,} bytes; the limit is "
                             f"{limits.result_bytes:,}. Return a smaller output."}
    channel.finish(result)
