"""The worker: one child of the template per run. It reads its request, confines itself
(``layers.confine``), runs one job with the user's output captured, and streams JSON records
back on the data channel (see ``protocol``). Then it exits; nothing of it is reused.

A spare (``spare_main``) is the same worker forked before its request: it confines itself
first, with the loosest limits of any job, then warms up on our own code (``warm``), says it
is ready, and waits. Its request lowers the rlimits to the run's own; from there on it is an
ordinary worker, used once.

The user's prints go to a bounded buffer, never to the data channel, and a flood stops the
run at once; warnings from libraries are kept apart from it. Failures are told in the user's
terms (``refusals``)."""
from __future__ import annotations

import ast
import contextlib
import io
import json
import linecache
import os
import resource
import signal
import socket
import sys
import time
import warnings

from explorer.sandbox import channel, registry
from explorer.sandbox.layers import confine, thread_count
from explorer.sandbox.limits import Limits
from explorer.sandbox.outcome import OUTPUT_HINT, at_line
from explorer.sandbox.priority import lower_priority
from explorer.sandbox.privileges import can_drop_uid
from explorer.sandbox.refusals import Audit, classify, facts
from explorer.sandbox.report import Report
from explorer.sandbox.rlimits import lower_rlimits, vm_status

MAX_REQUEST = 8_000_000


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
        self.where: dict | None = None  # the user's line that printed past the limit

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
        self.size += len(text)
        if self.size > self.limit:
            if not self.overflow:
                self.where = running(sys._getframe(1))
            self.overflow = True
            raise OutputLimit()
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def place(line: int) -> dict:
    """A line of the user's code, as the server names it: its number, its text, and the
    innermost loop it is in (``loop``: line and text), if any."""
    from explorer import snippet

    lines = linecache.getlines(snippet.SNIPPET_FILE)
    where = {"line": line, "source_line": snippet.source_line(lines, line)}
    try:
        loops = [node for node in ast.walk(ast.parse("".join(lines)))
                 if isinstance(node, (ast.For, ast.While, ast.AsyncFor))
                 and node.lineno <= line <= (node.end_lineno or node.lineno)]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        loops = []
    if loops:
        loop = max(loops, key=lambda node: node.lineno)
        where["loop"] = {"line": loop.lineno,
                         "source_line": snippet.source_line(lines, loop.lineno)}
    return where


def running(frame) -> dict | None:
    """The ``place`` of the user's code that ``frame``, or its nearest caller in the
    snippet, is running; None outside the user's code."""
    from explorer import snippet

    while frame is not None and frame.f_code.co_filename != snippet.SNIPPET_FILE:
        frame = frame.f_back
    return None if frame is None else place(frame.f_lineno)


def raised_at(exc: BaseException) -> dict | None:
    """The ``place`` of the innermost line of the user's code in ``exc``'s traceback."""
    from explorer import snippet

    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == snippet.SNIPPET_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return None if line is None else place(line)


def escaped(exc: BaseException, sink: BoundedText, limits: Limits | None = None) -> dict:
    """A result for an exception that escaped the job itself. A run stopped for printing
    too much or for memory names the line it was running (``outcome.at_line``), as a
    timeout does."""
    limits = limits or Limits(output_bytes=sink.limit)
    if isinstance(exc, OutputLimit) or sink.overflow:
        return at_line({"status": "output-limit",
                        "message": f"Your code printed more than {sink.limit:,} characters "
                                   "and was stopped. " + OUTPUT_HINT},
                       sink.where or raised_at(exc), limits)
    if isinstance(exc, MemoryError):
        return at_line({"status": "memory", "message": "Your code asked for more memory than "
                                                       "a run may use (MemoryError)."},
                       raised_at(exc), limits)
    if isinstance(exc, SystemExit):
        return {"status": "error", "error_type": "SystemExit", "line": None,
                "message": "Your code called exit(); a snippet returns from forward instead."}
    from explorer import snippet

    return {**snippet.as_user_error(exc).to_json(), **facts(exc)}


PROGRAM_EVENTS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen")
NO_PROGRAMS = ("shell commands and other programs are not run in the sandbox: your code runs "
               "in a confined worker that may not start a process (the kernel refuses fork "
               "and exec), so that code anyone sends cannot reach the server. Use Python and "
               "torch in forward instead.")


def refuse_programs(event: str, args: tuple) -> None:
    """Audit hook: a shell command or program the user's code asks for (``os.system("ls")``)
    fails at once at its line, saying why, where the kernel would have refused it silently
    (``os.system`` returns an exit status, it raises nothing). Only calls made by the
    snippet itself, through the standard library's wrappers; a library's own attempts meet
    the kernel's refusal as before."""
    if not event.startswith(PROGRAM_EVENTS):
        return
    from explorer import snippet

    frame = sys._getframe(1)
    while frame is not None and os.path.basename(frame.f_code.co_filename) in (
            "subprocess.py", "os.py", "pty.py"):
        frame = frame.f_back
    if frame is not None and frame.f_code.co_filename == snippet.SNIPPET_FILE:
        asked = args[0] if args else ""
        shown = (asked.decode(errors="replace") if isinstance(asked, bytes) else str(asked))[:80]
        raise PermissionError(1, f"{event}({shown!r}): {NO_PROGRAMS}")


WHERE_MARGIN_S = 0.5  # before the server's wall clock runs out: say which line is running


def _say_where(_signum: int, frame) -> None:
    """SIGALRM: the innermost frame of the user's code, to the server. Never raises."""
    where = running(frame)
    if where is None:
        return
    try:
        channel.where(where["line"], where["source_line"])
    except OSError:
        pass


@contextlib.contextmanager
def where_before_timeout(limits: Limits, received: float | None = None):
    """Just before the run's wall clock runs out, tell the server which line of the user's
    code is running, so that a timeout names it (a loop that never ends). Python runs the
    handler between bytecodes: code stuck inside one long C call gets no line. The server's
    clock runs from the request: ``received`` (time.monotonic() when the worker read it)
    counts what came before the user's code (a cold worker's confinement and imports)."""
    spent = 0.0 if received is None else max(0.0, time.monotonic() - received)
    previous = signal.signal(signal.SIGALRM, _say_where)
    signal.setitimer(signal.ITIMER_REAL, max(0.1, limits.wall_s - WHERE_MARGIN_S - spent))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


MAX_WARNINGS = 20  # library warnings kept per run


@contextlib.contextmanager
def warnings_apart(sink: BoundedText, library: list[dict]):
    """Warnings the user's own code raised print into its output, as Python prints them;
    those of the libraries it calls go to ``library``, labelled, so that a run's output holds
    what the user's code printed and nothing else."""
    from explorer import snippet

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if filename == snippet.SNIPPET_FILE:
            sink.write(warnings.formatwarning(message, category, filename, lineno, line))
        elif len(library) < MAX_WARNINGS:
            library.append({"category": category.__name__, "message": str(message)[:500],
                            "source": f"{os.path.basename(filename)}:{lineno}"})

    with warnings.catch_warnings():  # puts showwarning back on the way out
        warnings.showwarning = show
        yield


def serve(request: dict, limits: Limits, jobs: str | None, audit: Audit | None = None,
          received: float | None = None) -> dict:
    """Run one job with the user's output captured; the result gains ``stdout`` (what the
    user's code printed) and, when a library warned, ``warnings``."""
    sink = BoundedText(limits.output_bytes)
    library: list[dict] = []
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                warnings_apart(sink, library), where_before_timeout(limits, received):
            result = run_job(request, jobs)
        if sink.overflow:  # the user's code caught OutputLimit and carried on
            raise OutputLimit()
    except BaseException as exc:  # noqa: BLE001 - the user's code may raise anything
        result = escaped(exc, sink, limits)
    if not isinstance(result, dict) or "status" not in result:
        result = {"status": "crashed", "message": "The job returned no result."}
    result = classify(result, audit)
    if result.get("status") == "memory" and isinstance(result.get("line"), int):
        result = at_line(result, place(result["line"]), limits)  # an error that named it
    result["stdout"] = sink.getvalue()
    if library:
        result["warnings"] = library
    return result


def run_job(request: dict, jobs: str | None) -> dict:
    """Dispatch to the job table ``jobs`` (``registry``), or to the sandbox's own self-test."""
    name = request.get("job", "")
    if name == "_probe":  # the sandbox's self-test (doctor), not a user job
        from explorer.sandbox import probe

        return probe.run(request)
    try:
        table = registry.load(jobs)
    except (ImportError, LookupError) as err:
        return {"status": "crashed", "message": f"The sandbox could not load its jobs: {err}"}
    return table.dispatch(name, request)


def refusal(report: Report, mode: str) -> dict | None:
    """In strict mode, the result that refuses to run user code when a layer is missing."""
    missing = report.missing()
    if mode != "strict" or not missing:
        return None
    return {"status": "blocked", "blocked": "sandbox", "layers": report,
            "message": "This server runs in strict mode and these sandbox layers do not work "
                       f"here: {', '.join(missing)}. Your code was not run."}


def read_request(sock: socket.socket) -> tuple[dict, bytes]:
    """The request line, and what came after it (controls the server sent since)."""
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(1 << 16)
        if not chunk or len(data) > MAX_REQUEST:
            raise EOFError("no request")
        data += chunk
    line, _, rest = data.partition(b"\n")
    return json.loads(line), rest


def main(data_fd: int, run_dir: str, preloaded: bool, jobs: str | None) -> None:
    """The worker's whole life, in the forked child; it never returns into the template.
    ``jobs``: the job table module (``registry``)."""
    sock = socket.socket(fileno=data_fd)
    message, pending = read_request(sock)
    received = time.monotonic()
    limits = Limits.from_json(message.get("limits", {}))
    start = time.perf_counter()
    report = confine(run_dir, limits, int(message.get("slot", 0)), preloaded,
                     cuda=message.get("gpu") is True,
                     compiler=(message.get("request") or {}).get("compiler") is True)
    info = {"confine_s": round(time.perf_counter() - start, 4), "preloaded": preloaded,
            "spare": False, "threads_at_confine": thread_count()}
    respond(sock, message, pending, limits, report, info, jobs, received)


def _warm_up_steps(jobs: str | None) -> tuple:
    """The job table's warm-up steps; none when it does not load (that costs speed only)."""
    try:
        return registry.load(jobs).warm_up
    except Exception:  # noqa: BLE001 - the run itself will say what is wrong with the table
        return ()


def spare_main(data_fd: int, ready_fd: int, run_dir: str, slot: int, confined_with: Limits,
               jobs: str | None, warm_up: bool = True, low_priority: bool = False) -> None:
    """A spare's whole life: confine (every layer, loosest limits, uid slot ``slot``), warm
    up (the sandbox's steps, then the job table's), write one JSON line on ``ready_fd`` and
    close it, wait for the request on ``data_fd``, lower the limits to the run's, then serve
    it like ``main``. With ``low_priority`` it warms up at nice 19; the template renices it
    before the request.

    Nothing starts a thread before the last layer is in place (Landlock and seccomp bind the
    calling thread and the threads it starts later; the namespaces need a single thread), so
    the warm-up's pools are as confined as the user's code will be."""
    born = time.monotonic()
    if low_priority:
        lower_priority()
    root = can_drop_uid()  # before the uid drop: decides RLIMIT_NPROC below too
    start = time.perf_counter()
    report = confine(run_dir, confined_with, slot, True)
    confine_s = time.perf_counter() - start
    threads = thread_count()
    warmed = {"ok": False, "s": 0.0, "steps": {}}
    if warm_up:
        from explorer.sandbox import warm

        warmed = warm.run(run_dir, _warm_up_steps(jobs))
    status, cpu = vm_status(), _cpu_s()
    os.write(ready_fd, json.dumps({"ready": True, "cpu_s": cpu, "warm": warmed["ok"]}).encode()
             + b"\n")
    os.close(ready_fd)
    ready = time.monotonic()
    sock = socket.socket(fileno=data_fd)
    message, pending = read_request(sock)
    requested = time.monotonic()
    limits = Limits.from_json(message.get("limits", {}))
    try:
        lower_rlimits(report, limits, status, cpu, root)
    except OSError as err:
        channel.attach(sock)
        channel.finish({"status": "crashed", "stdout": "", "message": "The sandbox could not "
                        f"apply this run's limits ({err}). Your code was not run."})
        return
    info = {"confine_s": round(confine_s, 4), "preloaded": True, "spare": True,
            "threads_at_confine": threads, "warm": warmed,
            "warmed_before_request": ready <= requested, "ready_after_s": round(ready - born, 3),
            "waited_s": round(requested - ready, 3), "warm_cpu_s": round(cpu, 3),
            "threads_at_request": thread_count(),
            "nice": os.getpriority(os.PRIO_PROCESS, 0), "autogroup_nice": _autogroup_nice()}
    respond(sock, message, pending, limits, report, info, jobs, requested)


def _autogroup_nice() -> int | None:
    try:
        return int(open("/proc/self/autogroup").read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def respond(sock: socket.socket, message: dict, pending: bytes, limits: Limits,
            report: Report, info: dict, jobs: str | None,
            received: float | None = None) -> None:
    """Run the request on a confined worker and send the result."""
    channel.attach(sock, pending)
    request = {**message.get("request", {}), "job": message.get("job", "")}
    if request["job"] == "_probe":
        request["layers"] = report
    result = refusal(report, message.get("mode", "relaxed"))
    if result is None:
        audit = Audit()
        sys.addaudithook(audit)
        sys.addaudithook(refuse_programs)
        result = serve(request, limits, jobs, audit, received)
    result["sandbox"] = info
    data = json.dumps(result, default=str)
    if len(data) > limits.result_bytes:
        result = {"status": "output-limit", "stdout": result.get("stdout", "")[:10_000],
                  "message": f"The result is {len(data):,} bytes; the limit is "
                             f"{limits.result_bytes:,}. Return a smaller output."}
    channel.finish(result)
