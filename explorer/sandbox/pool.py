"""The server's side of the template processes: one warm, shared, with its spare workers
(``WarmPool``), or one cold per run; each a ``TemplateClient`` that asks its template for
workers. One run in flight is ``runs.Run``."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from explorer.sandbox import limits as limits_module
from explorer.sandbox import registry
from explorer.sandbox.layers import REPO_DIR
from explorer.sandbox.limits import Limits
from explorer.sandbox.protocol import receive_message, send_message

START_TIMEOUT = 180.0   # importing torch and TensorFlow on a busy 2-core machine
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
             spare_wait_s: float = 0.0, fresh: bool = False) -> tuple[socket.socket, socket.socket]:
        """Ask for one worker; returns the server's ends of its data and run-control channels.
        A spare's data channel comes with the pid instead (see ``Run.start``). ``fresh``: a
        worker forked for this run, never a spare (one confined before its request could
        not start the compiler helper)."""
        data, worker_data = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        control, template_control = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        message = {"op": "run", "backstop_s": backstop_s, "spare_wait_s": spare_wait_s,
                   "fresh": fresh}
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
