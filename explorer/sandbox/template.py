"""The template process: the warm pool's one long-lived process. It imports torch, TensorFlow
and the jobs once (``bootstrap``), but runs no op (no thread pool started, no CUDA), then forks
single-use workers, each in a fresh pid namespace. It never reads a request or a result (the
worker and the server talk directly), so no user's data ever sits in memory that later workers
inherit.

This module is its serve loop: poll the control channel and the children's pidfds, dispatch
run requests, keep the books of every descriptor it holds, reap and report. Spares (workers
forked, confined and warmed up ahead of their request) are ``spares``'; a request takes a
ready one whose limits can be lowered to the run's (``limits.fits_spare``): the template hands
the server the spare's pidfd and data channel. With no spare ready (a burst of runs, or spares
that failed to start) a worker is forked for the request, unless the server asked it to wait
up to ``spare_wait_s`` for a warming spare.

Uids: a worker forked for a request takes the uid of its scheduler slot (``slot`` in its
request, 0-63); a spare takes one from ``--spare-slots`` (a range of 16 per warm pool, above
the scheduler's), held from its fork until it is reaped (``slots``).

Its process starts in ``bootstrap`` (``python -m explorer.sandbox.bootstrap``).
"""
from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass

from explorer.sandbox import limits, priority
from explorer.sandbox.protocol import receive_message, send_message
from explorer.sandbox.spares import Spare, Spares
from explorer.sandbox.syscalls import CLONE_NEWPID, libc
from explorer.sandbox.tempfolder import WATCH_INTERVAL_S, overflow

MAX_SPARE_WAIT_S = 20.0   # the server waits 30 s for a worker's pid



@dataclass
class Child:
    """A worker serving a run."""
    pid: int
    pidfd: int
    control: socket.socket
    run_dir: str
    deadline: float
    backstop: bool = False
    slot: int | None = None     # a spare's uid slot: free again once reaped
    cpu_before: float = 0.0     # a spare's CPU time before its request (its warm-up)
    file_mb: int = limits.DEFAULT.file_mb  # its temp folder's size limit
    temp_full: str | None = None  # why the template killed it for its temp folder


@dataclass
class Pending:
    """A run request waiting for a spare (``spare_wait_s``)."""
    message: dict
    data_fd: int
    control: socket.socket
    received: float


class TemplateServer:
    """The template's loop over its server's requests, its runs and its spares."""

    def __init__(self, control: socket.socket, jobs: str | None, once: bool, preloaded: bool,
                 spares: int = 0, spare_slots: int = 64,
                 spare_max_age: float = limits.SPARE_MAX_AGE_S, warm_up: bool = True) -> None:
        self.control = control
        self.jobs = jobs
        self.once = once
        self.preloaded = preloaded
        self.children: dict[int, Child] = {}  # by pidfd
        self.pending: list[Pending] = []
        self.poller = select.poll()
        self.spares = Spares(0 if once else spares, spare_slots, spare_max_age, self.poller,
                             self.fork, self.new_run_dir, self.become_spare)
        self.spare_limits = limits.spare_limits()
        self.warm_up = warm_up
        self.renice = priority.can_renice()  # spares warm up at nice 19 only if it can undo it
        self.counts = {"spare": 0, "forked": 0}
        self.base = tempfile.mkdtemp(prefix="explorer-sandbox-")
        os.chmod(self.base, 0o711)
        self.count = 0
        self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.watched = 0.0  # when the workers' temp folders were last measured

    # -- the loop -------------------------------------------------------------------------

    def serve(self) -> None:
        self.poller.register(self.control, select.POLLIN)
        served = False
        self.spares.fill()
        while True:
            for fd, _event in self.poller.poll(self.wait_ms()):
                if fd == self.control.fileno():
                    message, fds = receive_message(self.control)
                    if message is None:
                        return self.shutdown()
                    self.handle(message, fds)
                elif fd in self.children:
                    self.poller.unregister(fd)
                    self.reap(self.children.pop(fd))
                else:
                    self.spares.handle(fd)
            served = self.dispatch() or served
            self.enforce_deadlines()
            self.watch_folders()
            self.spares.recycle()
            self.spares.fill()
            if self.once and served and not self.children and not self.pending:
                return self.shutdown()

    def wait_ms(self) -> int | None:
        now = time.monotonic()
        times = [c.deadline for c in self.children.values()]
        times += [self.watched + WATCH_INTERVAL_S] if self.children else []
        times += [p.received + self.spare_wait(p) for p in self.pending]
        times += self.spares.next_time(now)
        if not times:
            return None
        return max(0, int((min(times) - now) * 1000) + 1)

    def handle(self, message: dict, fds: list[int]) -> None:
        op = message.get("op")
        if op == "run" and len(fds) == 2:
            self.pending.append(Pending(message, fds[0], socket.socket(fileno=fds[1]),
                                        time.monotonic()))
            return
        for fd in fds:
            os.close(fd)
        if op == "state":
            try:
                send_message(self.control, self.state())
            except OSError:
                pass

    def state(self) -> dict:
        return {"spares": self.spares.state(), "running": len(self.children),
                "pending": len(self.pending),
                "served": {**self.counts, **self.spares.counts}}

    # -- runs -----------------------------------------------------------------------------

    def dispatch(self) -> bool:
        """Start what can start: on a ready spare, or on a worker forked for it."""
        started = False
        for pending in list(self.pending):
            spare = self.spares.take() if self.fits(pending.message) else None
            if spare is not None:
                self.hand_over(pending, spare)
            elif self.may_wait(pending):
                continue
            else:
                self.fork_worker(pending)
            self.pending.remove(pending)
            started = True
        return started

    def spare_wait(self, pending: Pending) -> float:
        try:
            wait = float(pending.message.get("spare_wait_s", 0.0))
        except (TypeError, ValueError):
            wait = 0.0
        return min(max(wait, 0.0), MAX_SPARE_WAIT_S)

    def fits(self, message: dict) -> bool:
        """A spare may take the run: its limits can be lowered to the run's, and the run
        does not need a worker of its own (``fresh``)."""
        data = message.get("limits")
        if not isinstance(data, dict) or message.get("fresh") is True:
            return False
        try:
            return limits.fits_spare(limits.Limits.from_json(data))
        except (TypeError, ValueError):
            return False

    def file_mb(self, message: dict) -> int:
        """The temp folder limit of a run (the server's limits; the default without)."""
        try:
            return int(limits.Limits.from_json(message["limits"]).file_mb)
        except (KeyError, TypeError, ValueError, AttributeError):
            return limits.DEFAULT.file_mb

    def may_wait(self, pending: Pending) -> bool:
        """Wait for a spare still warming up, when the server asked to and one is coming."""
        if not self.spares.coming() or not self.fits(pending.message):
            return False
        return time.monotonic() - pending.received < self.spare_wait(pending)

    def hand_over(self, pending: Pending, spare: Spare) -> None:
        """Give ``spare`` to this run: the server gets its pidfd and its data channel."""
        if self.renice:
            priority.renice(spare.pid)  # before the request: its user's threads start at nice 0
        os.close(pending.data_fd)  # the channel made for a forked worker: not needed
        child = Child(spare.pid, spare.pidfd, pending.control, spare.run_dir,
                      time.monotonic() + float(pending.message.get("backstop_s", 60)),
                      slot=spare.slot, cpu_before=spare.cpu_s,
                      file_mb=self.file_mb(pending.message))
        self.children[spare.pidfd] = child  # its pidfd stays registered with the poller
        try:
            send_message(pending.control, {"pid": spare.pid, "spare": True},
                         [spare.pidfd, spare.data.fileno()])
        except OSError:
            os.kill(spare.pid, signal.SIGKILL)  # the server is gone; used or not, never reused
        spare.data.close()
        self.counts["spare"] += 1

    def fork_worker(self, pending: Pending) -> None:
        """Fork one worker for one run (with no spare, and the only path of a cold template)."""
        run_dir = self.new_run_dir()
        data_fd, control = pending.data_fd, pending.control
        pid = self.fork(lambda: self.become_worker(data_fd, run_dir), keep=[data_fd])
        os.close(data_fd)
        pidfd = os.pidfd_open(pid)
        try:
            send_message(control, {"pid": pid}, [pidfd])
        except OSError:
            os.kill(pid, signal.SIGKILL)
        child = Child(pid, pidfd, control, run_dir,
                      time.monotonic() + float(pending.message.get("backstop_s", 60)),
                      file_mb=self.file_mb(pending.message))
        self.children[pidfd] = child
        self.poller.register(pidfd, select.POLLIN)
        self.counts["forked"] += 1

    def new_run_dir(self) -> str:
        self.count += 1
        run_dir = os.path.join(self.base, f"run-{self.count}")
        os.mkdir(run_dir, 0o700)
        return run_dir

    # -- forks and descriptors --------------------------------------------------------------

    def fork(self, become, keep: list[int], close: list[socket.socket | int] = ()) -> int:
        """Fork a child in a new pid namespace; the child closes every descriptor the
        template holds (and ``close``) but those in ``keep``, then runs ``become``, exits."""
        new_pid_ns = libc.unshare(CLONE_NEWPID) == 0
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                self.close_inherited(set(keep), list(close))
                os.setsid()  # without a pid namespace, the server kills this process group
                become()
            except BaseException:  # noqa: BLE001 - never return into the template's loop
                code = 70
            finally:
                os._exit(code)
        if new_pid_ns:
            libc.setns(self.own_pid_ns, CLONE_NEWPID)
        return pid

    def held(self) -> list[socket.socket | int]:
        """Every descriptor the template holds for its server, runs and spares: a child must
        not keep another run's channel, or a spare's."""
        held: list[socket.socket | int] = [self.control, self.own_pid_ns]
        for child in self.children.values():
            held += [child.control, child.pidfd]
        held += self.spares.descriptors()
        for pending in self.pending:
            held += [pending.data_fd, pending.control]
        return held

    def close_inherited(self, keep: set[int], close: list[socket.socket | int]) -> None:
        for item in self.held() + close:
            if isinstance(item, socket.socket):
                if item.fileno() not in keep:
                    item.close()  # through the object, which would close it again later
            elif item >= 0 and item not in keep:
                try:
                    os.close(item)
                except OSError:
                    pass

    def become_worker(self, data_fd: int, run_dir: str) -> None:
        """In the forked child: be the worker."""
        from explorer.sandbox import worker

        worker.main(data_fd, run_dir, self.preloaded, self.jobs)

    def become_spare(self, data_fd: int, ready_fd: int, run_dir: str, slot: int) -> None:
        from explorer.sandbox import worker

        worker.spare_main(data_fd, ready_fd, run_dir, slot, self.spare_limits, self.jobs,
                          warm_up=self.warm_up, low_priority=self.renice)

    # -- endings --------------------------------------------------------------------------

    def reap(self, child: Child) -> None:
        _pid, status, usage = os.wait4(child.pid, 0)
        exit_info = {"code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                     "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                     "cpu_s": round(max(0.0, usage.ru_utime + usage.ru_stime
                                        - child.cpu_before), 3),
                     "maxrss_mb": round(usage.ru_maxrss / 1024, 1), "backstop": child.backstop,
                     "temp_full": child.temp_full, "temp_mb": child.file_mb,
                     "spare": child.slot is not None}
        try:
            send_message(child.control, {"exit": exit_info})
        except OSError:
            pass  # the server stopped waiting for this run
        child.control.close()
        os.close(child.pidfd)
        if child.slot is not None:
            self.spares.reaped(child.slot)  # its uid has no process left
        shutil.rmtree(child.run_dir, ignore_errors=True)

    def watch_folders(self) -> None:
        """Without a mount namespace a worker's temp folder is no tmpfs of its own size: kill
        the worker whose folder passed its limit (``tempfolder``). With
        one, the tmpfs is in the worker's mount namespace and this folder stays empty."""
        now = time.monotonic()
        if now - self.watched < WATCH_INTERVAL_S:
            return
        self.watched = now
        for child in self.children.values():
            if child.temp_full or child.backstop:
                continue
            child.temp_full = overflow(child.run_dir, child.file_mb)
            if child.temp_full:
                try:
                    os.kill(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def enforce_deadlines(self) -> None:
        """A backstop only: the server kills at the wall-clock limit; this catches a run whose
        server thread is gone."""
        now = time.monotonic()
        for child in self.children.values():
            if now >= child.deadline and not child.backstop:
                child.backstop = True
                os.kill(child.pid, signal.SIGKILL)
                child.deadline = now + 3600

    def shutdown(self) -> None:
        for pending in self.pending:
            os.close(pending.data_fd)
            pending.control.close()
        self.pending.clear()
        for child in list(self.children.values()):
            os.kill(child.pid, signal.SIGKILL)
            self.reap(child)
        self.children.clear()
        self.spares.shutdown()
        shutil.rmtree(self.base, ignore_errors=True)
