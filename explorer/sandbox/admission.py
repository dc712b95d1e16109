"""Admission instead of rejection (issue 13): how many runs may wait, and how long a waiting
one will take.

A waiting run costs the server its request (the code, at most ``Limits.code_bytes``) and a few
objects; running ones are bounded by the workers. So the queue is bounded by memory: the
requests waiting may take ``QUEUE_MEMORY_SHARE`` of the memory available when the scheduler
starts (at most ``MAX_QUEUE_BYTES``), which on any real host is thousands of runs, never a
class. An explicit ``queue_limit`` (tests, a host that wants one) still bounds the count.

The estimated wait is the mean service time of the job (a moving average over the runs this
scheduler served, per job) times the rounds of workers ahead of the run."""
from __future__ import annotations

import json
import threading
from pathlib import Path

QUEUE_MEMORY_SHARE = 1 / 16
MAX_QUEUE_BYTES = 1 << 30
MIN_QUEUE_BYTES = 64 << 20
OVERHEAD_BYTES = 16 << 10      # a waiting run's objects besides its request
FIRST_GUESS_S = 2.0            # a job's service time before one was measured
SMOOTHING = 0.2


def available_bytes(meminfo: str = "/proc/meminfo") -> int | None:
    try:
        for line in Path(meminfo).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def queue_budget() -> int:
    """Bytes the waiting requests may take on this host."""
    free = available_bytes()
    if free is None:
        return MIN_QUEUE_BYTES
    return int(min(MAX_QUEUE_BYTES, max(MIN_QUEUE_BYTES, free * QUEUE_MEMORY_SHARE)))


def cost(request: dict) -> int:
    """What one waiting run costs the server, in bytes."""
    return len(json.dumps(request, default=str)) + OVERHEAD_BYTES


class Admission:
    """The queue's bound (bytes, and a count only when asked) and the service-time estimates."""

    def __init__(self, budget_bytes: int | None = None, queue_limit: int | None = None) -> None:
        self.budget_bytes = queue_budget() if budget_bytes is None else budget_bytes
        self.queue_limit = queue_limit
        self.queued_bytes = 0
        self._service: dict[str, float] = {}
        self._lock = threading.Lock()

    def admit(self, queued: int, size: int) -> str | None:
        """None when a run of ``size`` bytes may wait behind ``queued`` others; else why not
        (the caller holds the scheduler's lock)."""
        if self.queue_limit is not None and queued >= self.queue_limit:
            return (f"The server is busy ({queued} runs are waiting, its limit); please run "
                    "again in a moment. Your code is kept.")
        if self.queued_bytes + size > self.budget_bytes:
            return (f"The server's memory for waiting runs is full ({queued} runs are "
                    "waiting); please run again in a moment. Your code is kept.")
        self.queued_bytes += size
        return None

    def release(self, size: int) -> None:
        self.queued_bytes = max(0, self.queued_bytes - size)

    def served(self, job: str, seconds: float) -> None:
        """A run of ``job`` took ``seconds`` from its start to its result."""
        with self._lock:
            old = self._service.get(job)
            self._service[job] = seconds if old is None else old + SMOOTHING * (seconds - old)

    def service_s(self, job: str) -> float:
        with self._lock:
            known = self._service.get(job)
            if known is not None:
                return known
            return (sum(self._service.values()) / len(self._service)) if self._service \
                else FIRST_GUESS_S

    def wait_s(self, ahead: list[str], running: list[tuple[str, float]], workers: int) -> float:
        """The estimated wait of a run behind the jobs ``ahead`` (queued, in order), with
        ``running`` ``(job, seconds so far)`` on ``workers`` workers: the rest of the running
        ones, then the queued ones ahead, a round of ``workers`` at a time."""
        workers = max(1, workers)
        rest = [max(0.0, self.service_s(job) - done) for job, done in running]
        free_at = sorted(rest + [0.0] * workers)[-workers:]  # when each worker comes free
        for job in ahead:  # each waiting run takes the first worker to come free
            free_at[0] += self.service_s(job)
            free_at.sort()
        return round(free_at[0], 1) if ahead or len(running) >= workers else 0.0

    def state(self) -> dict:
        with self._lock:
            service = {job: round(s, 3) for job, s in self._service.items()}
        return {"budget_bytes": self.budget_bytes, "queued_bytes": self.queued_bytes,
                "queue_limit": self.queue_limit, "service_s": service}
