"""A submitted run as its caller sees it (``Ticket``) and as the scheduler runs it (``Flight``).

Identical requests share one flight (issue 13): the first ticket's request starts it, the
others attach to it while it waits or runs and get its answer marked ``cached.source:
"in-flight"``. A ticket that leaves (a cancel, a newer run of its session) detaches; the
flight is dropped, or its worker killed, only when no ticket is left on it."""
from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING

from explorer.sandbox import cache
from explorer.sandbox.limits import Limits
from explorer.sandbox.runs import PARTIAL, Run

if TYPE_CHECKING:
    from explorer.sandbox.schedule import Scheduler


class Flight:
    """One run to do (queued, then running): its request, its tickets, its records."""

    def __init__(self, job: str, request: dict, limits: Limits, pool: str, gpu: bool,
                 content_key: str | None, size: int) -> None:
        self.job, self.request, self.limits, self.pool, self.gpu = job, request, limits, pool, gpu
        self.key, self.size = content_key, size
        self.tickets: list[Ticket] = []
        self.records: list[dict] = []
        self.run: Run | None = None
        self.begun: float | None = None    # when a worker thread took it
        self.killed = False

    def start(self, run: Run) -> bool:
        """A worker thread starts ``run``; False when every ticket left meanwhile."""
        self.run = run
        return not self.killed

    def stream(self, record: dict) -> None:
        self.records.append(record)

    def kill(self) -> None:
        self.killed = True
        if self.run is not None:
            self.run.kill("cancel")

    def finish(self, result: dict) -> None:
        """Every ticket still on the flight gets the answer; the ones that joined it later,
        marked as shared."""
        now = time.time()
        for ticket in list(self.tickets):
            if ticket.leader or self.key is None:
                ticket.finish(result)
            else:
                ticket.finish(cache.mark(result, "in-flight", self.key, now,
                                         time.perf_counter() - ticket.submitted))


class Ticket:
    """One submitted run: its place in the queue, its streamed records, its result."""

    def __init__(self, scheduler: Scheduler, session_id: str, job: str, request: dict,
                 limits: Limits, pool: str, gpu: bool = False) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.session_id, self.job, self.request = session_id, job, request
        self.limits, self.pool, self.gpu = limits, pool, gpu
        self.submitted = time.perf_counter()
        self.leader = True          # False: it joined a flight another request started
        self.flight: Flight | None = None
        self._scheduler = scheduler
        self._result: dict | None = None
        self._done = threading.Event()

    def position(self) -> int:
        """0 when running or done; otherwise this ticket's place in the queue, from 1."""
        return self._scheduler.position(self.flight) if self.flight and not self.done() else 0

    def estimated_wait_s(self) -> float:
        """Seconds until this run should start (0.0 when running or done), from the mean
        service times the scheduler measured."""
        return self._scheduler.estimated_wait(self.flight) if self.flight and not self.done() \
            else 0.0

    def records(self, start: int = 0) -> list[dict]:
        """Records the job streamed so far (a copy), from index ``start``."""
        return list(self.flight.records[start:]) if self.flight else []

    def partial(self, start: int = 0) -> tuple[int, dict] | None:
        """The newest provisional result the job streamed at record ``start`` or later (what
        it has done so far, e.g. the PyTorch graph while the twin is traced), with the index
        of its record; None if there is none."""
        records = self.flight.records if self.flight else []
        for index in range(len(records) - 1, start - 1, -1):
            record = records[index]
            if isinstance(record, dict) and isinstance(record.get(PARTIAL), dict):
                return index, record[PARTIAL]
        return None

    def result(self, timeout: float | None = None) -> dict | None:
        """The result dict, waiting up to ``timeout`` seconds (None: until done)."""
        self._done.wait(timeout)
        return self._result

    def done(self) -> bool:
        return self._done.is_set()

    def cached(self) -> bool:
        """Whether the answer was shared (from the cache or a run in flight)."""
        return bool((self._result or {}).get("cached"))

    def worker_pid(self) -> int | None:
        """The pid of the worker serving this run (None before it started)."""
        run = self.flight.run if self.flight else None
        return run.pid if run is not None else None

    def cancel(self) -> None:
        """Drop the run: taken out of the queue, or its worker killed (unless other tickets
        share it: then this one only leaves it)."""
        self._scheduler.leave(self)

    def stop(self) -> None:
        """Ask a streaming job (training) to finish early; its results so far are kept."""
        run = self.flight.run if self.flight else None
        if run is not None and len(self.flight.tickets) == 1:
            run.stop()
        else:
            self.cancel()

    def finish(self, result: dict) -> None:
        """The ticket's result, once; later ones are ignored."""
        if not self._done.is_set():
            self._result = result
            self._done.set()
