"""One run in flight, on the server's side: get a worker from a template (a ready spare or a
fresh fork), send the request, stream the records, enforce the wall clock (from the request)
and the result size, kill the worker's whole pid namespace, say what happened (``outcome``)."""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable

from explorer.sandbox import outcome
from explorer.sandbox.limits import Limits
from explorer.sandbox.pool import TemplateClient, TemplateError, pid_of
from explorer.sandbox.protocol import LineReader, receive_message

STOP_GRACE = 3.0        # a stopped streaming job has this long to send its final result
PARTIAL = "partial"     # the record a provisional result is streamed as (``Ticket.partial``)


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
        self.data, self.control = template.fork(
            self.limits.wall_s + 10.0, self.limits, spare_wait_s,
            fresh=self.request.get("compiler") is True)  # a helper starts before seccomp
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
        """The run's outcome; ``on_event`` hears each streamed record as it comes, and each
        provisional result as ``{"partial": result}``."""
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
                elif record.get("kind") == "provisional" and isinstance(record.get("data"),
                                                                        dict):
                    provisional = {**(provisional or {}), **record["data"]}  # adds to the last
                    if on_event is not None:  # a page may show it while the run goes on
                        on_event({PARTIAL: provisional})
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
