"""A queue of runs for many browser sessions: at most one running or waiting run per session
key (a new submit cancels the session's old one; the pages key a session's lanes apart), at
most as many workers as cores, a place in the queue and an estimated wait that a waiting user
can see, and results shared by content (issue 13).

Sharing: a job the job table names ``cacheable`` is keyed by ``cache.key`` (job, request,
limits, versions). An identical request while one is queued or running joins it (one worker
for all of them); a later one is answered from the result cache, marked ``cached``. Only the
process-wide ``scheduler()`` has a cache unless one is given.

Admission: the queue is bounded by the memory its requests take (``admission``), not by a small
count; a session that leaves (``watch`` tells which are alive) drops its runs.

One scheduler per server process (``scheduler()``); it is safe from Streamlit's script
threads. A page keeps the ``Ticket`` in its session state and asks it on each rerun:

    ticket = sandbox.scheduler().submit(session_id, "graph", {"code": code})
    ticket.position()          # 0 running (or done), n: n-th in the queue
    ticket.estimated_wait_s()  # seconds until it should start
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
from collections.abc import Callable

from explorer.sandbox import cache as cache_module
from explorer.sandbox import limits as limits_module
from explorer.sandbox import local, registry
from explorer.sandbox.admission import Admission, cost
from explorer.sandbox.limits import Limits
from explorer.sandbox.pool import WarmPool
from explorer.sandbox.sessions import Sessions
from explorer.sandbox.slots import Slots
from explorer.sandbox.tickets import Flight, Ticket

PRECOMPUTE_ENV = "EXPLORER_PRECOMPUTE"   # "0": no lessons computed at server start

__all__ = ["Scheduler", "Ticket", "scheduler"]


class Scheduler:
    """Worker threads (as many as cores) pulling flights from a FIFO queue bounded by memory.

    ``cache``: a result cache (``cache.ResultCache`` or the Redis one); None shares nothing.
    ``remote``: a dispatcher to worker hosts (``explorer.distributed``); runs go there while it
    is reachable and to the local pool otherwise. ``jobs``: the job table module (default the
    registry's)."""

    def __init__(self, workers: int | None = None, queue_limit: int | None = None,
                 pool: WarmPool | None = None, default_pool: str = "warm", *,
                 cache: cache_module.ResultCache | None = None, remote=None,
                 jobs: str | None = None, queue_bytes: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.admission = Admission(queue_bytes, queue_limit)
        self.default_pool = default_pool  # for a submit that names none, unless $EXPLORER_POOL
        self.pool = pool or WarmPool(spares=limits_module.spares(self.workers))
        self.cache, self.remote, self.jobs = cache, remote, jobs
        self._queue: collections.deque[Flight] = collections.deque()
        self._flights: dict[str, Flight] = {}       # content key -> flight queued or running
        self._by_session: dict[str, Ticket] = {}
        self._running: set[Flight] = set()
        self._cond = threading.Condition()
        self._local = threading.BoundedSemaphore(self.workers)  # local workers at once
        self._slots = Slots(0, limits_module.WORKER_SLOTS)
        self._threads: list[threading.Thread] = []
        self._served = self._shared = 0
        self._sessions = Sessions(self)
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def queue_limit(self) -> int | None:
        return self.admission.queue_limit

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
        key = self._key(job, request, limits, gpu)
        if key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                ticket.finish(cache_module.mark(hit[0], "cache", key, hit[1],
                                                time.perf_counter() - ticket.submitted))
                with self._cond:
                    self._shared += 1
                return ticket
        with self._cond:
            flight = self._flights.get(key) if key is not None else None
            if flight is not None:           # the same request is queued or running: join it
                ticket.leader, ticket.flight = False, flight
                flight.tickets.append(ticket)
                self._shared += 1
                return ticket
            flight = Flight(job, request, limits, pool, gpu, key, cost(request))
            refusal = self.admission.admit(len(self._queue), flight.size)
            if refusal is not None:
                ticket.finish({"status": "busy", "elapsed_s": 0.0, "stdout": "",
                               "message": refusal})
                return ticket
            ticket.flight = flight
            flight.tickets.append(ticket)
            if key is not None:
                self._flights[key] = flight
            self._queue.append(flight)
            self._start_threads()
            self._cond.notify()
        return ticket

    def state(self) -> dict:
        with self._cond:
            state = {"workers": self.workers, "running": len(self._running),
                     "queued": len(self._queue), "queue_limit": self.queue_limit,
                     "served": self._served, "shared": self._shared,
                     "admission": self.admission.state()}
        state["cache"] = self.cache.state() if self.cache is not None else None
        state["remote"] = self.remote.state() if self.remote is not None else None
        state["pool"] = self.pool.state()
        return state

    def warm_up(self, spares: bool = False, precompute: bool | None = None) -> dict:
        """Start the warm template now (it takes seconds) instead of on the first run; with
        ``spares``, also wait until its spare workers are ready (a few seconds more). With
        ``precompute`` (default: when this scheduler caches, unless ``$EXPLORER_PRECOMPUTE``
        is 0) the job table's precomputed requests (the lessons at their default settings)
        are then run one at a time in the background, so that they are cached."""
        info = self.pool.get().info
        if spares:
            self.pool.wait_spares()
        if precompute is None:
            precompute = self.cache is not None and os.environ.get(PRECOMPUTE_ENV, "1") != "0"
        if precompute and self.cache is not None:
            threading.Thread(target=self.precompute, name="sandbox-precompute",
                             daemon=True).start()
        return info

    def precompute(self) -> int:
        """Run the job table's ``precompute`` requests one after another; how many ran."""
        table = self._table()
        requests = table.precompute() if table is not None and table.precompute else []
        for i, (job, request) in enumerate(requests):
            if self._closed:
                break
            self.submit(f"precompute/{i}", job, request).result()
        return len(requests)

    def watch(self, alive: Callable[[str], bool]) -> None:
        """``alive(session_id)`` says whether a browser session is still there; the runs of
        those that left are dropped (queued ones before they start, running ones killed)."""
        self._sessions.watch(alive)

    def drop_session(self, session: str) -> int:
        """Cancel the runs of ``session`` and of its lanes (``session/...``); how many."""
        return self._sessions.drop(session)

    def shutdown(self, close_pool: bool = True) -> None:
        """Cancel what is queued and running; stop the warm template unless it is shared."""
        with self._cond:
            self._closed = True
            flights = list(self._queue) + list(self._running)
            self._cond.notify_all()
        for flight in flights:
            for ticket in list(flight.tickets):
                ticket.cancel()
        if self.remote is not None:
            self.remote.close()
        if close_pool:
            self.pool.close()

    # -- internals ---------------------------------------------------------------------

    def _table(self) -> registry.JobTable | None:
        try:
            return registry.load(registry.module(self.jobs))
        except (LookupError, ImportError):
            return None

    def _key(self, job: str, request: dict, limits: Limits, gpu: bool) -> str | None:
        if self.cache is None:
            return None
        table = self._table()
        if table is None or job not in table.cacheable:
            return None
        return cache_module.key(job, {**request, "gpu": gpu}, limits.to_json())

    def position(self, flight: Flight) -> int:
        """``flight``'s place in the queue from 1; 0 when it is not queued."""
        with self._cond:
            try:
                return self._queue.index(flight) + 1
            except ValueError:
                return 0

    def estimated_wait(self, flight: Flight) -> float:
        now = time.perf_counter()
        with self._cond:
            try:
                ahead = [f.job for f in list(self._queue)[:self._queue.index(flight)]]
            except ValueError:
                return 0.0
            running = [(f.job, now - (f.begun or now)) for f in self._running]
        return self.admission.wait_s(ahead, running, self.workers)

    def tickets_of(self, session: str) -> list[Ticket]:
        """The latest ticket of ``session`` and of each of its lanes."""
        with self._cond:
            return [t for s, t in self._by_session.items()
                    if s == session or s.startswith(session + "/")]

    def sessions(self) -> set[str]:
        with self._cond:
            return {s.split("/")[0] for s in self._by_session}

    def forget(self, session: str) -> None:
        """Forget the finished tickets of a session that left."""
        with self._cond:
            for name in [s for s, t in self._by_session.items() if t.done()
                         and (s == session or s.startswith(session + "/"))]:
                del self._by_session[name]

    def leave(self, ticket: Ticket, result: dict | None = None) -> None:
        """``ticket`` gives up its run; the run itself goes only when no ticket is left."""
        with self._cond:
            flight = ticket.flight
            if flight is None or ticket not in flight.tickets:
                return
            alone = len(flight.tickets) == 1
            queued = flight in self._queue
            if alone and queued:
                self._queue.remove(flight)
                self.admission.release(flight.size)
            if alone and flight.key is not None:
                self._flights.pop(flight.key, None)
            if not alone or queued:
                flight.tickets.remove(ticket)
        if not alone or queued:
            ticket.finish(result or local.cancelled(queued))
        else:           # running, alone: its worker is killed and the run's answer says so
            if result is not None:
                ticket.finish(result)
            flight.kill()

    def _start_threads(self) -> None:
        count = self.remote.concurrency if self.remote is not None else self.workers
        while len(self._threads) < count:
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
                flight = self._queue.popleft()
                self.admission.release(flight.size)
                flight.begun = time.perf_counter()
                self._running.add(flight)
            result = None
            try:
                result = self._dispatch(flight)
            finally:
                with self._cond:
                    self._running.discard(flight)
                    if flight.key is not None:
                        self._flights.pop(flight.key, None)
                    self._served += 1
                if result is not None and self.cache is not None and flight.key is not None:
                    self.cache.put(flight.key, result)
                flight.finish(result or {"status": "crashed", "elapsed_s": 0.0, "stdout": "",
                                         "message": "The scheduler failed on this run."})
                if result is not None and result.get("status") in cache_module.CACHED_STATUSES:
                    self.admission.served(flight.job, time.perf_counter() - flight.begun)

    def _dispatch(self, flight: Flight) -> dict:
        """On a worker host while one is reachable (GPU runs stay local), else here."""
        if self.remote is not None and not flight.gpu and self.remote.available():
            result = self.remote.execute(flight)
            if result is not None:
                return result
        with self._local:
            with self._cond:
                slot = self._slots.take()
            try:
                return self._execute(flight, slot)
            finally:
                with self._cond:
                    self._slots.give_back(slot)

    def _execute(self, flight: Flight, slot: int) -> dict:
        """One run on a worker of this host (a seam: the queue tests time a stand-in)."""
        return local.execute(flight, slot, self.pool, self.jobs)


_scheduler: Scheduler | None = None
_lock = threading.Lock()


def scheduler() -> Scheduler:
    """The process-wide scheduler (created on first use): in-memory result cache, local pool;
    with ``$EXPLORER_REDIS`` set, worker hosts and the cache through Redis
    (``explorer.distributed``), the local pool while Redis is unreachable."""
    global _scheduler
    with _lock:
        if _scheduler is None:
            from explorer.sandbox import scale

            _scheduler = scale.process_scheduler()
        return _scheduler
