"""The server's side of a run: template processes (one warm, shared, with its spare workers;
or one cold per run), and ``Run``, one run in flight: get a worker (a ready spare or a fresh
fork), send the request, stream the records, enforce the wall clock (from the request) and
the result size, kill the worker's whole pid namespace, say what happened."""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from explorer.sandbox import limits as limits_module
from explorer.sandbox import outcome, registry
from explorer.sandbox.layers import REPO_DIR
from explorer.sandbox.limits import Limits
from explorer.sandbox.protocol import LineReader, receive_message, send_message

START_TIMEOUT = 180.0   # importing torch and TensorFlow on a busy 2-core machine
STOP_GRACE = 3.0        # a stopped streaming job has this long to send its final result
ENV_PASSED = ("PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES",
              "OMP_NUM_THREADS", "EXPLORER_SANDBOX_UID_BASE")


# joblib (imported with sklearn) probes for a process-shared semaphore at import; in a worker
# the sandbox refuses it and joblib warns on every run. A worker may start no process anyway.
JOBLIB_MULTIPROCESSING = "0"


class TemplateError(RuntimeError):
    pass


def clean_environment() -> dict[str, str]:
    """The template's whole environment: no secret of the server's reaches it, and what a
    process was started with stays readable in /proc/self/environ for good."""
    env = {key: os.environ[key] for key in ENV_PASSED if key in os.environ}
    env.update({"HOME": "/nonexistent", "PYTHONPATH": str(REPO_DIR),
                "PYTHONDONTWRITEBYTECODE": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
                "JOBLIB_MULTIPROCESSING": JOBLIB_MULTIPROCESSING})
    return env


def pid_of(pidfd: int) -> int | None:
    """The pid, in this process's pid namespace, of the process ``pidfd`` refers to (None
    once it has been reaped, or where the kernel does not say)."""
    try:
        for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
            if line.startswith("Pid:"):
                pid = int(line.split()[1])
                return pid if pid > 0 else None
    except (OSError, ValueError, IndexError):
        pass
    return None


def outer_pid(process: subprocess.Popen, reported: int) -> int:
    """The template's pid as this process sees it: the process started, or, where it went
    on as pid 1 of a pid namespace of its own (``bootstrap.become_pid_namespace_init``), its
    one child."""
    if reported == process.pid:
        return reported
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        return int(children[0]) if children else reported
    except (OSError, ValueError):
        return reported


class TemplateClient:
    """The server's side of one template process: its control channel and its process."""

    def __init__(self, jobs: str | None, preload: bool, once: bool = False, spares: int = 0,
                 spare_slots: int = limits_module.WORKER_SLOTS,
                 spare_max_age_s: float = limits_module.SPARE_MAX_AGE_S) -> None:
        self.preload = preload
        self.lock = threading.Lock()
        self.info: dict = {}
        self.log = tempfile.TemporaryFile()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = [sys.executable, "-m", "explorer.sandbox.bootstrap",
                "--control-fd", str(theirs.fileno())]
        args += ["--jobs", jobs] if jobs else []
        args += ["--preload"] if preload else []
        args += ["--once"] if once else []
        if spares and not once:
            args += ["--spares", str(spares), "--spare-slots", str(spare_slots),
                     "--spare-max-age", str(spare_max_age_s)]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(args, pass_fds=[theirs.fileno()], cwd="/",
                                        env=clean_environment(), stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=self.log, start_new_session=True)
        theirs.close()
        self.control = ours

    def wait_ready(self, timeout: float = START_TIMEOUT) -> dict:
        self.control.settimeout(timeout)
        try:
            message, _fds = receive_message(self.control)
        except (OSError, ValueError) as err:
            self.kill()  # closes the control channel: no timeout to put back
            raise TemplateError(f"the sandbox template did not start: {err}") from None
        self.control.settimeout(None)
        if not message or not message.get("ready"):
            self.process.wait(timeout=5)
            self.log.seek(0)
            raise TemplateError("the sandbox template did not start: "
                                + self.log.read()[-2000:].decode(errors="replace"))
        self.info = {**message, "pid": outer_pid(self.process, int(message.get("pid", 0))),
                     "start_s": round(time.perf_counter() - self.started, 2)}
        return self.info

    def fork(self, backstop_s: float, limits: Limits | None = None,
             spare_wait_s: float = 0.0) -> tuple[socket.socket, socket.socket]:
        """Ask for one worker; returns the server's ends of its data and run-control channels.
        A spare's data channel comes with the pid instead (see ``Run.start``)."""
        data, worker_data = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        control, template_control = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        message = {"op": "run", "backstop_s": backstop_s, "spare_wait_s": spare_wait_s}
        if limits is not None:
            message["limits"] = limits.to_json()  # the server's choice, not user data
        try:
            with self.lock:
                send_message(self.control, message,
                             [worker_data.fileno(), template_control.fileno()])
        except OSError as err:
            data.close()
            control.close()
            raise TemplateError(f"the sandbox template is gone: {err}") from None
        finally:
            worker_data.close()
            template_control.close()
        return data, control

    def state(self, timeout: float = 5.0) -> dict | None:
        """The template's live state (spares ready and warming, runs, counts), or None."""
        with self.lock:
            self.control.settimeout(timeout)
            try:
                send_message(self.control, {"op": "state"})
                message, fds = receive_message(self.control)
            except (OSError, ValueError):
                return None
            finally:
                self.control.settimeout(None)
        for fd in fds:
            os.close(fd)
        return message

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.control.close()  # the template kills its workers and exits on EOF
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WarmPool:
    """The process-wide warm template: started on first use, restarted when it died.

    ``spares``: workers the template keeps forked, confined and warmed up ahead of requests
    (default ``limits.spares()``). ``spare_wait_s``: how long a request may wait for a spare
    that is still warming up before a worker is forked for it (default 0: at once). Each pool
    gets its own range of uid slots for its spares, so pools in one server never share one."""

    _indexes: set[int] = set()
    _index_lock = threading.Lock()

    def __init__(self, spares: int | None = None, spare_wait_s: float = 0.0,
                 spare_max_age_s: float = limits_module.SPARE_MAX_AGE_S) -> None:
        self.lock = threading.Lock()
        self.template: TemplateClient | None = None
        self.restarts = 0
        self.spares = limits_module.spares() if spares is None else spares
        self.spare_wait_s = spare_wait_s
        self.spare_max_age_s = spare_max_age_s
        with WarmPool._index_lock:
            self.index = min(set(range(len(WarmPool._indexes) + 1)) - WarmPool._indexes)
            WarmPool._indexes.add(self.index)

    def get(self) -> TemplateClient:
        with self.lock:
            if self.template is not None and not self.template.alive():
                self.template.kill()
                self.template = None
                self.restarts += 1
            if self.template is None:
                template = TemplateClient(registry.module(), preload=True,
                                          spares=self.spares,
                                          spare_slots=limits_module.WORKER_SLOTS
                                          + limits_module.SPARE_SLOTS * self.index,
                                          spare_max_age_s=self.spare_max_age_s)
                template.wait_ready()
                self.template = template
            return self.template

    def state(self) -> dict:
        template = self.template
        started = template is not None and template.alive()
        live = template.state(timeout=2.0) if started else None
        return {"started": started, "restarts": self.restarts,
                **(template.info if template else {}),
                "spares": (live or {}).get("spares", {"target": self.spares, "ready": 0,
                                                      "warming": 0}),
                "served": (live or {}).get("served", {})}

    def wait_spares(self, count: int | None = None, timeout: float = 120.0) -> bool:
        """Block until ``count`` spares (default: all) are ready; False at the timeout."""
        template = self.get()
        count = self.spares if count is None else count
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = template.state()
            spares = (live or {}).get("spares", {})
            if spares.get("ready", 0) >= count:
                return True
            if live is None or spares.get("disabled"):
                return False
            time.sleep(0.05)
        return False

    def close(self) -> None:
        with self.lock:
            if self.template is not None:
                self.template.kill()
                self.template = None
        with WarmPool._index_lock:
            WarmPool._indexes.discard(self.index)


class Run:
    """One run in flight. ``wait`` blocks its caller (a scheduler thread); ``kill`` and ``stop``
    may be called from any other thread."""

    def __init__(self, job: str, request: dict, limits: Limits, mode: str, slot: int,
                 gpu: bool = False) -> None:
        self.job, self.request, self.limits, self.mode, self.slot = job, request, limits, mode, slot
        self.gpu = gpu
        self.kill_reason: str | None = None
        self.pid: int | None = None
        self.pidfd: int | None = None
        self.data: socket.socket | None = None
        self.control: socket.socket | None = None
        self.lock = threading.Lock()
        self.started = time.perf_counter()
        self.requested = self.started
        self.spare = False

    def start(self, template: TemplateClient, spare_wait_s: float = 0.0) -> None:
        self.data, self.control = template.fork(self.limits.wall_s + 10.0, self.limits,
                                                spare_wait_s)
        self.control.settimeout(30.0)
        message, fds = receive_message(self.control)
        if not message or "pid" not in message or not fds:
            for fd in fds:
                os.close(fd)
            raise TemplateError("the sandbox template did not fork a worker")
        self.pidfd = fds[0]
        self.pid = pid_of(self.pidfd) or int(message["pid"])  # the template's pid namespace
        # may be nested in ours (a non-root host): its pid numbers are not ours
        self.spare = bool(message.get("spare"))
        if len(fds) > 1:  # a spare: its data channel was made with it
            self.data.close()
            self.data = socket.socket(fileno=fds[1])
        line = json.dumps({"job": self.job, "request": self.request, "mode": self.mode,
                           "limits": self.limits.to_json(), "slot": self.slot, "gpu": self.gpu})
        self.requested = time.perf_counter()  # the wall clock runs from the request
        try:
            self.data.sendall(line.encode() + b"\n")
        except OSError:
            pass  # the worker died at once; its exit says why

    def wait(self, on_event: Callable[[dict], None] | None = None) -> dict:
        reader = LineReader(self.limits.result_bytes)
        deadline = self.requested + self.limits.wall_s
        result = provisional = where = None
        while self.kill_reason is None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                self.kill("timeout")
                break
            ready, _, _ = select.select([self.data], [], [], min(remaining, 0.25))
            if not ready:
                continue
            try:
                chunk = self.data.recv(1 << 16)
            except OSError:  # reset: the worker was killed (a cancel) with data unread
                chunk = b""
            if not chunk:
                break
            try:
                lines = reader.feed(chunk)
            except OverflowError:
                self.kill("output-limit")
                break
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # not ours: the user's code wrote to the channel
                if not isinstance(record, dict):
                    continue
                if record.get("kind") == "event" and on_event is not None:
                    on_event(record.get("data"))
                elif record.get("kind") == "result":
                    result = record.get("data")
                elif record.get("kind") == "provisional":
                    provisional = record.get("data")
                elif record.get("kind") == "where":
                    where = record.get("data")
        exit_info = self.exit_info()
        elapsed = time.perf_counter() - self.started
        return outcome.classify(result, exit_info, self.kill_reason, self.limits, elapsed,
                                provisional, where)

    def exit_info(self) -> dict:
        """How the worker ended, from the template that reaped it."""
        self.control.settimeout(10.0)
        try:
            message, _fds = receive_message(self.control)
        except (OSError, ValueError):
            message = None
        return (message or {}).get("exit") or {}

    def kill(self, reason: str) -> None:
        """SIGKILL the worker's whole pid namespace (or process group); first reason wins."""
        with self.lock:
            if self.kill_reason is None:
                self.kill_reason = reason
            if self.pidfd is None:
                return
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                return  # already gone (and maybe reaped: its pid must not be used)
            try:
                os.killpg(self.pid, signal.SIGKILL)  # alive, so the pid is still its own
            except OSError:
                pass

    def stop(self) -> None:
        """Ask a streaming job to finish now and send what it has; kill it after a grace."""
        try:
            self.data.sendall(b'{"control": "stop"}\n')
        except OSError:
            return
        timer = threading.Timer(STOP_GRACE, self.kill, args=("stopped",))
        timer.daemon = True
        timer.start()

    def close(self) -> None:
        with self.lock:
            for sock in (self.data, self.control):
                if sock is not None:
                    sock.close()
            if self.pidfd is not None:
                os.close(self.pidfd)
                self.pidfd = None
