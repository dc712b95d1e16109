"""A bounded queue of runs for many browser sessions: at most one running or waiting run per
session (a new submit cancels the session's old one), at most as many workers as cores, and a
place in the queue that a waiting user can see.

One scheduler per server process (``scheduler()``); it is safe from Streamlit's script
threads. A page keeps the ``Ticket`` in its session state and asks it for position, records
and result on each rerun:

    ticket = sandbox.scheduler().submit(session_id, "graph", {"code": code})
    ticket.position()          # 0 running (or done), n: n-th in the queue
    ticket.records()           # streamed records so far (training metrics)
    ticket.result(timeout=0)   # None until done, then the result dict
    ticket.stop()              # a streaming job finishes early and keeps what it has
    ticket.cancel()            # give up; the result becomes status "cancelled"
"""
from __future__ import annotations

import collections
import os
import threading
import time
import uuid

from explorer.sandbox import limits as limits_module
from explorer.sandbox import registry
from explorer.sandbox.limits import Limits
from explorer.sandbox.pool import TemplateClient, TemplateError, WarmPool
from explorer.sandbox.runs import Run
from explorer.sandbox.slots import Slots

QUEUE_LIMIT = 32


class Ticket:
    """One submitted run: its place in the queue, its streamed records, its result."""

    def __init__(self, scheduler: Scheduler, session_id: str, job: str, request: dict,
                 limits: Limits, pool: str, gpu: bool = False) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.session_id, self.job, self.request = session_id, job, request
        self.limits, self.pool, self.gpu = limits, pool, gpu
        self._scheduler = scheduler
        self._records: list[dict] = []
        self._result: dict | None = None
        self._done = threading.Event()
        self._run: Run | None = None
        self._cancelled = False

    def position(self) -> int:
        """0 when running or done; otherwise this ticket's place in the queue, from 1."""
        return self._scheduler.position(self)

    def records(self, start: int = 0) -> list[dict]:
        """Records the job streamed so far (a copy), from index ``start``."""
        return list(self._records[start:])

    def result(self, timeout: float | None = None) -> dict | None:
        """The result dict, waiting up to ``timeout`` seconds (None: until done)."""
        self._done.wait(timeout)
        return self._result

    def done(self) -> bool:
        return self._done.is_set()

    def worker_pid(self) -> int | None:
        """The pid of the worker serving this run (None before it started)."""
        return self._run.pid if self._run is not None else None

    def cancel(self) -> None:
        """Drop the run: taken out of the queue, or its worker killed."""
        self._cancelled = True
        if self._scheduler.unqueue(self):
            self.finish({"status": "cancelled", "message": "The run was cancelled before it "
                          "started.", "elapsed_s": 0.0, "stdout": ""})
        elif self._run is not None:
            self._run.kill("cancel")

    def stop(self) -> None:
        """Ask a streaming job (training) to finish early; its results so far are kept."""
        if self._run is not None:
            self._run.stop()
        else:
            self.cancel()

    def start(self, run: Run) -> bool:
        """The scheduler's worker thread starts ``run`` for this ticket; False when the
        ticket was cancelled meanwhile (then the run must not start)."""
        self._run = run
        return not self._cancelled

    def cancelled(self) -> bool:
        return self._cancelled

    def stream(self, record: dict) -> None:
        """One record the job streamed (the scheduler's thread)."""
        self._records.append(record)

    def finish(self, result: dict) -> None:
        """The ticket's result, once; later ones are ignored."""
        if not self._done.is_set():
            self._result = result
            self._done.set()


class Scheduler:
    """Worker threads (as many as cores) pulling tickets from a bounded FIFO queue."""

    def __init__(self, workers: int | None = None, queue_limit: int = QUEUE_LIMIT,
                 pool: WarmPool | None = None, default_pool: str = "warm") -> None:
        self.workers = workers or os.cpu_count() or 1
        self.queue_limit = queue_limit
        self.default_pool = default_pool  # for a submit that names none, unless $EXPLORER_POOL
        self.pool = pool or WarmPool(spares=limits_module.spares(self.workers))
        self._queue: collections.deque[Ticket] = collections.deque()
        self._by_session: dict[str, Ticket] = {}
        self._running: set[Ticket] = set()
        self._cond = threading.Condition()
        self._slots = Slots(0, limits_module.WORKER_SLOTS)
        self._threads: list[threading.Thread] = []
        self._served = 0
        self._closed = False

    def submit(self, session_id: str, job: str, request: dict, *, limits: Limits | None = None,
               timeout: float | None = None, pool: str | None = None,
               gpu: bool = False) -> Ticket:
        """Queue a run for ``session_id``; that session's previous run is cancelled.

        ``pool``: ``"warm"`` or ``"cold"``, default ``$EXPLORER_POOL``, else the scheduler's
        ``default_pool``. ``gpu``: the worker is confined so that CUDA can initialise, and
        is always a cold one (CUDA does not survive the template's fork)."""
        limits = limits or limits_module.for_job(job, timeout)
        pool = "cold" if gpu else pool or limits_module.choose_pool(self.default_pool)
        ticket = Ticket(self, session_id, job, request, limits, pool, gpu)
        with self._cond:
            previous = self._by_session.get(session_id)
            self._by_session[session_id] = ticket
        if previous is not None and not previous.done():
            previous.cancel()
        if len(str(request.get("code", ""))) > limits.code_bytes:
            ticket.finish({"status": "output-limit", "elapsed_s": 0.0, "stdout": "",
                            "message": f"The snippet is longer than {limits.code_bytes:,} "
                                       "characters."})
            return ticket
        with self._cond:
            if len(self._queue) >= self.queue_limit:
                ticket.finish({"status": "busy", "elapsed_s": 0.0, "stdout": "",
                                "message": "The server is busy; please run again in a moment."})
                return ticket
            self._queue.append(ticket)
            self._start_threads()
            self._cond.notify()
        return ticket

    def state(self) -> dict:
        with self._cond:
            return {"workers": self.workers, "running": len(self._running),
                    "queued": len(self._queue), "queue_limit": self.queue_limit,
                    "served": self._served, "pool": self.pool.state()}

    def warm_up(self, spares: bool = False) -> dict:
        """Start the warm template now (it takes seconds) instead of on the first run; with
        ``spares``, also wait until its spare workers are ready (a few seconds more)."""
        info = self.pool.get().info
        if spares:
            self.pool.wait_spares()
        return info

    def shutdown(self, close_pool: bool = True) -> None:
        """Cancel what is queued and running; stop the warm template unless it is shared."""
        with self._cond:
            self._closed = True
            queued, self._queue = list(self._queue), collections.deque()
            self._cond.notify_all()
        for ticket in queued:
            ticket.cancel()
        for ticket in list(self._running):
            ticket.cancel()
        if close_pool:
            self.pool.close()

    # -- internals ---------------------------------------------------------------------

    def position(self, ticket: Ticket) -> int:
        """``ticket``'s place in the queue from 1; 0 when it is not queued."""
        with self._cond:
            try:
                return self._queue.index(ticket) + 1
            except ValueError:
                return 0

    def unqueue(self, ticket: Ticket) -> bool:
        """Take ``ticket`` out of the queue; False when it was not in it."""
        with self._cond:
            try:
                self._queue.remove(ticket)
            except ValueError:
                return False
            return True

    def _start_threads(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, daemon=True,
                                      name=f"sandbox-worker-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                ticket = self._queue.popleft()
                self._running.add(ticket)
                slot = self._slots.take()
            try:
                ticket.finish(self._execute(ticket, slot))
            finally:
                with self._cond:
                    self._running.discard(ticket)
                    self._slots.give_back(slot)
                    self._served += 1

    def _execute(self, ticket: Ticket, slot: int) -> dict:
        """One run; ``elapsed_s`` counts from here (a cold template's start included)."""
        run = Run(ticket.job, ticket.request, ticket.limits, limits_module.mode(), slot,
                  ticket.gpu)
        run.started = time.perf_counter()
        cold = None
        try:
            if ticket.pool == "cold":
                cold = TemplateClient(registry.module(), preload=False, once=True)
                cold.wait_ready()
                template = cold
            else:
                template = self.pool.get()
            if not ticket.start(run):
                return {"status": "cancelled", "message": "The run was cancelled.",
                        "elapsed_s": 0.0, "stdout": ""}
            run.start(template, 0.0 if cold is not None else self.pool.spare_wait_s)
            if ticket.cancelled():
                run.kill("cancel")
            return run.wait(ticket.stream)
        except TemplateError as err:
            return {"status": "crashed", "message": f"The sandbox could not start a worker: "
                    f"{err}", "elapsed_s": 0.0, "stdout": ""}
        finally:
            run.close()
            if cold is not None:
                cold.kill()


_scheduler: Scheduler | None = None
_lock = threading.Lock()


def scheduler() -> Scheduler:
    """The process-wide scheduler (created on first use)."""
    global _scheduler
    with _lock:
        if _scheduler is None:
            _scheduler = Scheduler()
        return _scheduler
