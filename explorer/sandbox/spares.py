"""The template's spare workers, their whole life: forked ahead of their request, confined at
once (every layer, the loosest limits of any job, a uid slot of their own), warmed up on our
own code at idle priority, ready (one JSON line on a pipe), then taken by a run, replaced when
they waited too long, or reaped when they died. Spares that keep dying before they are ready
stop being made."""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from explorer.sandbox import limits
from explorer.sandbox.slots import Slots

SPARE_FAILURES = 3        # spares that die before they are ready, in a row: stop making them
DEATH_BACKOFF_S = 5.0     # after a ready spare was killed (the OOM killer picks workers first)


@dataclass
class Spare:
    """A worker forked ahead of its request."""
    pid: int
    pidfd: int
    data: socket.socket         # the server's end of its data channel, handed over with a run
    ready_fd: int | None        # it writes one JSON line here when it is ready
    run_dir: str
    slot: int
    born: float
    ready_at: float | None = None
    cpu_s: float = 0.0
    killed: bool = False        # by the template (replaced, shut down): not a failure

    def ready(self) -> bool:
        return self.ready_at is not None and not self.killed

    def warming(self) -> bool:
        return self.ready_at is None and not self.killed


# fork(become, keep, close) -> pid: the template's fork into a new pid namespace
Fork = Callable[[Callable[[], None], list[int], list], int]


class Spares:
    """The spares of one template. ``fork`` and ``new_run_dir`` are the template's; the
    spares register their pidfds and ready pipes with ``poller`` and handle them in
    ``handle``. ``become(data_fd, ready_fd, run_dir, slot)`` is a spare's life."""

    def __init__(self, target: int, first_slot: int, max_age: float, poller: select.poll,
                 fork: Fork, new_run_dir: Callable[[], str],
                 become: Callable[[int, int, str, int], None]) -> None:
        self.target = max(0, target)
        self.slots = Slots(first_slot, limits.SPARE_SLOTS)
        self.max_age = max_age
        self.poller, self.fork, self.new_run_dir, self.become = poller, fork, new_run_dir, become
        self.by_pidfd: dict[int, Spare] = {}
        self.readying: dict[int, Spare] = {}  # by ready fd
        self.failures = 0
        self.off: str | None = None           # why no more spares are made
        self.backoff_until = 0.0
        self.counts = {"recycled": 0, "spares_made": 0}

    # -- counts and times -----------------------------------------------------------------

    def live(self) -> int:
        """Spares ready or warming up (not those killed and not reaped yet)."""
        return sum(1 for s in self.by_pidfd.values() if not s.killed)

    def coming(self) -> bool:
        """True while a spare is warming up or one more will be made."""
        if self.off or self.target == 0:
            return False
        return any(s.warming() for s in self.by_pidfd.values()) or self.live() < self.target

    def next_time(self, now: float) -> list[float]:
        """When a spare must be replaced, or the backoff ends (for the poll's timeout)."""
        times = [s.ready_at + self.max_age for s in self.by_pidfd.values() if s.ready()]
        if self.backoff_until > now and self.live() < self.target:
            times.append(self.backoff_until)
        return times

    def state(self) -> dict:
        return {"target": self.target,
                "ready": sum(1 for s in self.by_pidfd.values() if s.ready()),
                "warming": sum(1 for s in self.by_pidfd.values() if s.warming()),
                "disabled": self.off, "failures": self.failures}

    def descriptors(self) -> list[socket.socket | int]:
        """Every descriptor held for the spares (a forked child must close them)."""
        held: list[socket.socket | int] = []
        for spare in self.by_pidfd.values():
            held += [spare.data, spare.pidfd]
            held += [spare.ready_fd] if spare.ready_fd is not None else []
        return held

    # -- the life ---------------------------------------------------------------------------

    def fill(self) -> None:
        if self.off:
            return
        while self.live() < self.target and time.monotonic() >= self.backoff_until \
                and self.slots:
            self.fork_one()

    def fork_one(self) -> None:
        slot = self.slots.take()
        server_end, spare_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ready_r, ready_w = os.pipe()
        run_dir = self.new_run_dir()
        pid = self.fork(lambda: self.become(spare_end.fileno(), ready_w, run_dir, slot),
                        [spare_end.fileno(), ready_w], [server_end, ready_r])
        spare_end.close()
        os.close(ready_w)
        spare = Spare(pid, os.pidfd_open(pid), server_end, ready_r, run_dir, slot,
                      time.monotonic())
        self.by_pidfd[spare.pidfd] = spare
        self.readying[ready_r] = spare
        self.poller.register(spare.pidfd, select.POLLIN)
        self.poller.register(ready_r, select.POLLIN)
        self.counts["spares_made"] += 1

    def handle(self, fd: int) -> bool:
        """Handle a polled descriptor if it is a spare's: True when it was."""
        if fd in self.by_pidfd:
            self.poller.unregister(fd)
            self.died(self.by_pidfd.pop(fd))
        elif fd in self.readying:
            self.ready(fd)
        else:
            return False
        return True

    def ready(self, fd: int) -> None:
        """The spare's one line on its ready pipe (or EOF: it died, its pidfd says more)."""
        spare = self.readying.pop(fd)
        self.poller.unregister(fd)
        try:
            line = os.read(fd, 4096)
        except OSError:
            line = b""
        os.close(fd)
        spare.ready_fd = None
        try:
            message = json.loads(line) if line else {}
        except ValueError:
            message = {}
        if message.get("ready") and not spare.killed:
            spare.ready_at = time.monotonic()
            spare.cpu_s = float(message.get("cpu_s") or 0.0)
            self.failures = 0

    def take(self) -> Spare | None:
        """The ready spare that has waited longest, now the caller's (its pidfd stays
        registered with the poller; ``reaped`` gives its slot back)."""
        ready = [s for s in self.by_pidfd.values() if s.ready()
                 and not select.select([s.pidfd], [], [], 0)[0]]  # readable pidfd: it died
        if not ready:
            return None
        spare = min(ready, key=lambda s: s.ready_at)
        del self.by_pidfd[spare.pidfd]
        return spare

    def reaped(self, slot: int) -> None:
        """A taken spare's process is gone: its uid slot is free again."""
        self.slots.give_back(slot)

    def died(self, spare: Spare) -> None:
        """A spare ended before any run had it: reap it; too many failures, no more."""
        os.wait4(spare.pid, 0)
        if spare.ready_fd is not None:
            self.readying.pop(spare.ready_fd, None)
            self.poller.unregister(spare.ready_fd)
            os.close(spare.ready_fd)
        spare.data.close()
        os.close(spare.pidfd)
        self.slots.give_back(spare.slot)
        shutil.rmtree(spare.run_dir, ignore_errors=True)
        if spare.killed:
            return
        if spare.ready_at is None:
            self.failures += 1
            if self.failures >= SPARE_FAILURES:
                self.off = f"{self.failures} spares in a row died before they were ready"
        else:  # killed while waiting (the OOM killer picks workers first): not at once again
            self.backoff_until = time.monotonic() + DEATH_BACKOFF_S

    def kill(self, spare: Spare) -> None:
        spare.killed = True
        try:
            signal.pidfd_send_signal(spare.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def recycle(self) -> None:
        """Replace spares that have waited ``max_age`` seconds."""
        now = time.monotonic()
        for spare in list(self.by_pidfd.values()):
            if spare.ready() and now - spare.ready_at >= self.max_age:
                self.kill(spare)
                self.counts["recycled"] += 1

    def shutdown(self) -> None:
        for spare in list(self.by_pidfd.values()):
            self.kill(spare)
            self.died(spare)
        self.by_pidfd.clear()
