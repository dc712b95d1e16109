"""Issue 13 on one machine: results shared by content (in flight and cached), the cache's keys
and bounds, admission bounded by memory, fairness across sessions, estimated waits, sessions
that leave, the lessons computed at start.

The sharing tests run real sandbox workers (cold, confined) on the light job table, which
imports no torch; the queue-discipline tests replace only the scheduler's ``_execute`` (one run
on a worker) with a timed stand-in, so that 200 runs take a second."""
from __future__ import annotations

import threading
import time

import pytest

from explorer.distributed import light_jobs
from explorer.jobs import table as jobs_table
from explorer.sandbox import cache
from explorer.sandbox.cache import ResultCache
from explorer.sandbox.pool import WarmPool
from explorer.sandbox.schedule import Scheduler

LIGHT = light_jobs.MODULE


class Timed(Scheduler):
    """A scheduler whose runs are a sleep of ``request["sleep"]``: the queue, sharing,
    admission and fairness are the real ones; the order runs start in is kept."""

    def __init__(self, **kwargs) -> None:
        super().__init__(pool=WarmPool(spares=0), jobs=LIGHT, **kwargs)
        self.started: list[str] = []

    def _execute(self, flight, slot):
        self.started.append(flight.tickets[0].session_id if flight.tickets else "?")
        end = time.perf_counter() + float(flight.request.get("sleep", 0.05))
        while time.perf_counter() < end and not flight.killed:
            time.sleep(0.005)
        if flight.killed:
            return {"status": "cancelled", "message": "killed", "elapsed_s": 0.0, "stdout": ""}
        return {"status": "ok", "echo": flight.request, "elapsed_s": 0.01, "stdout": ""}


@pytest.fixture
def timed():
    made = []

    def make(**kwargs):
        made.append(Timed(**kwargs))
        return made[-1]
    yield make
    for scheduler in made:
        scheduler.shutdown()


@pytest.fixture(scope="module")
def sandboxed():
    """Real confined workers (cold, one template per run) on the light job table."""
    scheduler = Scheduler(workers=2, default_pool="cold", jobs=LIGHT, cache=ResultCache(),
                          pool=WarmPool(spares=0))
    yield scheduler
    scheduler.shutdown()


@pytest.mark.slow
def test_forty_identical_requests_start_one_worker(sandboxed):
    before = sandboxed.state()["served"]
    request = {"code": "# the same lesson", "seed": 0, "sleep": 0.5}
    tickets = [sandboxed.submit(f"student-{i}", "echo", request) for i in range(40)]
    results = [t.result(timeout=60) for t in tickets]
    assert sandboxed.state()["served"] == before + 1           # one worker for all 40
    assert all(r["status"] == "ok" and r["echo"]["code"] == request["code"] for r in results)
    assert results[0].get("cached") is None                    # the one that ran
    shared = [r["cached"] for r in results[1:]]
    assert {s["source"] for s in shared} == {"in-flight"}
    assert {r["sandbox"]["confine_s"] for r in results} == {results[0]["sandbox"]["confine_s"]}
    later = sandboxed.submit("late-student", "echo", request).result(timeout=30)
    assert later["cached"]["source"] == "cache" and later["echo"] == results[0]["echo"]
    assert "not re-measured" in later["cached"]["timing"]
    assert later["elapsed_s"] == results[0]["elapsed_s"]       # the original run's, marked
    assert sandboxed.state()["served"] == before + 1


@pytest.mark.slow
def test_a_changed_seed_misses_and_a_streaming_job_is_never_shared(sandboxed):
    first = sandboxed.submit("a", "echo", {"code": "x", "seed": 1}).result(timeout=30)
    again = sandboxed.submit("b", "echo", {"code": "x", "seed": 1}).result(timeout=30)
    other = sandboxed.submit("c", "echo", {"code": "x", "seed": 2}).result(timeout=30)
    assert first.get("cached") is None and again["cached"]["source"] == "cache"
    assert other.get("cached") is None and other["echo"]["seed"] == 2
    served = sandboxed.state()["served"]
    streams = [sandboxed.submit(f"t{i}", "stream", {"steps": 3, "every": 0.01})
               for i in range(2)]
    results = [t.result(timeout=30) for t in streams]
    assert [r.get("cached") for r in results] == [None, None]
    assert [len(t.records()) for t in streams] == [3, 3]       # each stream ran for itself
    assert sandboxed.state()["served"] == served + 2


def test_the_key_holds_job_code_seed_device_fields_limits_and_versions():
    versions = {"torch": "2.13.0", "tensorflow": "2.21.0", "explorer": "0.1.0", "sources": "a"}
    base = cache.key("explore", {"code": "c", "seed": 0, "device": "cpu"}, {"wall_s": 20},
                     versions)
    assert base == cache.key("explore", {"device": "cpu", "seed": 0, "code": "c"},
                             {"wall_s": 20}, versions)           # field order does not count
    changed = [cache.key("graph", {"code": "c", "seed": 0, "device": "cpu"}, {"wall_s": 20},
                         versions),
               cache.key("explore", {"code": "c ", "seed": 0, "device": "cpu"},
                         {"wall_s": 20}, versions),
               cache.key("explore", {"code": "c", "seed": 1, "device": "cpu"}, {"wall_s": 20},
                         versions),
               cache.key("explore", {"code": "c", "seed": 0, "device": "cuda"},
                         {"wall_s": 20}, versions),
               cache.key("explore", {"code": "c", "seed": 0, "device": "cpu", "twin": False},
                         {"wall_s": 20}, versions),
               cache.key("explore", {"code": "c", "seed": 0, "device": "cpu"}, {"wall_s": 30},
                         versions)]
    changed += [cache.key("explore", {"code": "c", "seed": 0, "device": "cpu"},
                          {"wall_s": 20}, {**versions, name: "other"}) for name in versions]
    assert base not in changed and len(set(changed)) == len(changed)
    real = cache.versions()                                      # read from this install
    from importlib.metadata import version
    assert real["torch"] == version("torch") and real["explorer"] == version("graph-explorer")


def test_the_cache_is_bounded_in_entries_and_bytes_least_recently_used_out():
    small = ResultCache(max_entries=3, max_bytes=10_000)
    for name in "abc":
        assert small.put(name, {"status": "ok", "v": name})
    assert small.get("a") is not None          # a is now the most recently used
    small.put("d", {"status": "ok", "v": "d"})
    assert small.get("b") is None and small.get("a")[0]["v"] == "a"
    assert small.state()["entries"] == 3
    big = {"status": "ok", "blob": "x" * 6000}
    small.put("e", big)
    small.put("f", big)                        # 12 kB of answers in a 10 kB cache
    state = small.state()
    assert state["bytes"] <= 10_000 and small.get("e") is None and small.get("f") is not None
    assert not small.put("huge", {"status": "ok", "blob": "x" * 20_000})
    for status in ("timeout", "memory", "crashed", "cancelled", "busy", "blocked"):
        assert not small.put(status, {"status": status})
    assert not small.put("half", {"status": "ok", "unfinished": {"status": "timeout"}})
    assert small.put("user error", {"status": "error", "line": 3})


def test_two_hundred_distinct_runs_are_all_admitted_and_answered(timed):
    scheduler = timed(workers=2, cache=ResultCache())
    tickets = [scheduler.submit(f"s{i}", "echo", {"code": f"# {i}", "sleep": 0.005})
               for i in range(200)]
    results = [t.result(timeout=60) for t in tickets]
    assert [r["status"] for r in results] == ["ok"] * 200
    assert [r["echo"]["code"] for r in results] == [f"# {i}" for i in range(200)]
    assert scheduler.state()["admission"]["queued_bytes"] == 0


def test_admission_is_bounded_by_memory_with_a_clear_message(timed):
    scheduler = timed(workers=1, queue_bytes=3 * (16 << 10) + 300)  # three waiting runs
    running = scheduler.submit("first", "echo", {"code": "# first", "sleep": 0.3})
    while not scheduler.started:
        time.sleep(0.005)
    tickets = [running] + [scheduler.submit(f"s{i}", "echo", {"code": f"# {i}", "sleep": 0.1})
                           for i in range(5)]
    statuses = [t.result(timeout=10)["status"] for t in tickets]
    assert statuses == ["ok"] * 4 + ["busy"] * 2
    refused = next(t.result() for t in tickets if t.result()["status"] == "busy")
    assert "memory" in refused["message"] and "Your code is kept" in refused["message"]


def test_fair_one_run_per_session_first_come_first_served(timed):
    scheduler = timed(workers=1)
    blocker = scheduler.submit("blocker", "echo", {"code": "b", "sleep": 0.3})
    while blocker.position() != 0 or not scheduler.started:
        time.sleep(0.005)
    spam = [scheduler.submit("eager", "echo", {"code": f"e{i}", "sleep": 0.05})
            for i in range(5)]
    others = [scheduler.submit(f"calm-{i}", "echo", {"code": f"c{i}", "sleep": 0.05})
              for i in range(3)]
    assert [t.position() for t in others] == [2, 3, 4]    # eager holds one place only
    assert [t.result(timeout=0)["status"] for t in spam[:4]] == ["cancelled"] * 4
    for ticket in [spam[-1], *others]:
        assert ticket.result(timeout=10)["status"] == "ok"
    assert scheduler.started == ["blocker", "eager", "calm-0", "calm-1", "calm-2"]


def test_the_estimated_wait_follows_the_measured_service_time(timed):
    scheduler = timed(workers=1)
    for i in range(3):  # teach it the job's service time: about 0.2 s
        scheduler.submit(f"warm-{i}", "echo", {"code": f"w{i}", "sleep": 0.2}).result(10)
    running = scheduler.submit("r", "echo", {"code": "r", "sleep": 0.2})
    queued = [scheduler.submit(f"q{i}", "echo", {"code": f"q{i}", "sleep": 0.2})
              for i in range(4)]
    while running.position() != 0 or len(scheduler.started) < 4:
        time.sleep(0.005)
    waits = [t.estimated_wait_s() for t in queued]
    assert waits == sorted(waits) and waits[0] <= 0.3 and 0.6 <= waits[3] <= 1.1, waits
    for ticket in queued:
        ticket.result(timeout=10)
    assert queued[-1].estimated_wait_s() == 0.0


def test_a_session_that_left_drops_its_runs(timed, monkeypatch):
    monkeypatch.setattr("explorer.sandbox.sessions.SWEEP_S", 0.05)
    scheduler = timed(workers=1)
    alive = {"stays", "busy"}
    scheduler.watch(lambda session: session in alive)
    busy = scheduler.submit("busy/interactive", "echo", {"code": "b", "sleep": 1.0})
    leaving = scheduler.submit("leaves/interactive", "echo", {"code": "l", "sleep": 0.05})
    training = scheduler.submit("leaves/training", "echo", {"code": "t", "sleep": 0.05})
    stays = scheduler.submit("stays/interactive", "echo", {"code": "s", "sleep": 0.05})
    for ticket in (leaving, training):
        result = ticket.result(timeout=2)
        assert result["status"] == "cancelled" and "session ended" in result["message"]
    assert busy.result(timeout=5)["status"] == "ok" and stays.result(5)["status"] == "ok"
    assert "leaves/interactive" not in scheduler.started


def test_a_cancel_leaves_a_shared_run_to_the_others(timed):
    scheduler = timed(workers=1, cache=ResultCache())
    request = {"code": "same", "sleep": 0.4}
    first, second = (scheduler.submit(s, "echo", request) for s in ("one", "two"))
    first.cancel()
    assert first.result(timeout=1)["status"] == "cancelled"
    result = second.result(timeout=5)
    assert result["status"] == "ok" and result["cached"]["source"] == "in-flight"


def test_the_lessons_are_computed_at_start_and_then_cached(timed):
    scheduler = timed(workers=1, cache=ResultCache())
    done = threading.Event()
    scheduler.pool.get = lambda: type("T", (), {"info": {}})()  # no template for a stand-in
    threading.Thread(target=lambda: (scheduler.warm_up(precompute=True), done.set())).start()
    assert done.wait(5)
    deadline = time.monotonic() + 10
    while scheduler.state()["served"] < len(light_jobs.lessons()) and \
            time.monotonic() < deadline:
        time.sleep(0.02)
    job, request = light_jobs.lessons()[1]
    assert scheduler.submit("first visitor", job, request).result(5)["cached"]["source"] \
        == "cache"


def test_the_explorer_table_caches_what_is_deterministic_and_precomputes_the_lessons():
    from explorer import lessons

    table = jobs_table.JOBS
    assert "explore" in table.cacheable and "train" not in table.cacheable
    assert "environment" not in table.cacheable
    pairs = table.precompute()
    assert [request["code"] for _job, request in pairs] == [l.code for l in lessons.all_lessons()]
    # the explorer page's request for a lesson at its default settings (pages/explorer.py)
    assert all(job == "explore" and set(request) == {"code", "seed", "device"}
               and (request["seed"], request["device"]) == (0, "cpu") for job, request in pairs)
