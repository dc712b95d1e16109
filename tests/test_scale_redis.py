"""Issue 13, scaled out: a real ``redis-server`` on loopback, two worker host processes
(``python -m explorer worker``), replicas (schedulers with ``RemoteRuns`` and ``RedisCache``)
sending runs through Dramatiq. The hosts run the light job table (no torch) on warm templates
without spares, so a run is a real confined worker that costs a fork.

Faults: a worker host killed mid-run (the run is retried once, on the other host), Redis
stopped (the replica serves from its local pool, and says so) and started again."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer.distributed import light_jobs, local_redis

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(local_redis.available() is None,
                                 reason="redis-server is not installed (Debian: apt-get install "
                                        "redis-server; scripts/system-deps.sh does it as root)")]

ROOT = Path(__file__).resolve().parents[1]
LIGHT = light_jobs.MODULE


def _host(url: str) -> subprocess.Popen:
    env = {**os.environ, "EXPLORER_SPARES": "0"}
    return subprocess.Popen([sys.executable, "-m", "explorer", "worker", "--redis", url,
                             "--jobs", LIGHT, "--threads", "2"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def redis_server():
    server = local_redis.LocalRedis().start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def hosts(redis_server):
    started = [_host(redis_server.url) for _ in range(2)]
    for process in started:  # each prints its line once its worker consumes the queue
        line = process.stdout.readline()
        assert line.startswith("worker host"), line
    yield started
    for process in started:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _replica(url: str):
    from explorer.distributed.dispatch import RemoteRuns
    from explorer.distributed.rcache import RedisCache
    from explorer.sandbox.pool import WarmPool
    from explorer.sandbox.schedule import Scheduler

    return Scheduler(workers=2, default_pool="cold", jobs=LIGHT, pool=WarmPool(spares=0),
                     cache=RedisCache(url), remote=RemoteRuns(url))


@pytest.fixture
def replicas(redis_server):
    made = [_replica(redis_server.url) for _ in range(2)]
    yield made
    for replica in made:
        replica.shutdown()


def test_runs_go_to_both_hosts_the_cache_is_shared_and_records_stream(hosts, replicas):
    one, two = replicas
    assert one.remote.available() and one.remote.hosts() == 2
    tickets = [one.submit(f"s{i}", "echo", {"code": f"# {i}", "sleep": 1.0}, timeout=60)
               for i in range(4)]
    results = [t.result(timeout=60) for t in tickets]
    assert [r["status"] for r in results] == ["ok"] * 4
    assert [r["echo"]["code"] for r in results] == [f"# {i}" for i in range(4)]
    assert len({r["host"] for r in results}) == 2          # each host took its share
    assert one.state()["served"] == 4 and one.remote.state()["sent"] == 4
    again = two.submit("another replica", "echo", {"code": "# 2", "sleep": 1.0},
                       timeout=60).result(10)
    assert again["cached"]["source"] == "cache" and again["host"] == results[2]["host"]
    assert two.state()["served"] == 0                      # answered from Redis, not run
    stream = two.submit("trainer", "stream", {"steps": 4, "every": 0.3}, timeout=60)
    seen = []
    while not stream.done():
        seen.append(len(stream.records()))
        time.sleep(0.05)
    result = stream.result()
    assert result["status"] == "ok" and stream.records() == [{"step": i} for i in range(4)]
    assert any(0 < n < 4 for n in seen)                    # records came while it ran
    assert result.get("cached") is None and two.state()["served"] == 1


def test_a_stopped_redis_leaves_the_local_pool_serving_and_says_so(hosts, replicas,
                                                                   redis_server):
    from explorer.sandbox import scale

    one = replicas[0]
    assert scale.describe(one.state())[0] == "success"
    redis_server.stop()
    try:
        result = one.submit("while down", "echo", {"code": "# down", "seed": 3},
                            timeout=60).result(90)
        assert result["status"] == "ok" and "host" not in result   # ran here, not on a host
        level, sentence = scale.describe(one.state())
        assert level == "warning" and "unreachable" in sentence and "local pool" in sentence
        assert one.remote.state()["reachable"] is False
    finally:
        redis_server.start()
    deadline = time.monotonic() + 10
    while not one.remote.available() and time.monotonic() < deadline:
        time.sleep(0.2)
    back = one.submit("after", "echo", {"code": "# back"}, timeout=60).result(timeout=90)
    assert back["status"] == "ok" and back["host"]                  # a host ran it again
    assert scale.describe(one.state())[0] == "success"


def test_a_killed_worker_host_is_retried_once_on_the_other(hosts, replicas):
    from explorer.distributed.broker import key

    one = replicas[0]
    ticket = one.submit("victim", "echo", {"code": "# long", "sleep": 2.5}, timeout=60)
    state = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        client = one.remote.client  # the run going on: a host took it, it has not ended
        going = [client.hgetall(k) for k in client.scan_iter(key("run", "*"))
                 if not k.endswith(b":records")]
        going = [s for s in going if b"host" in s and b"records" not in s]
        if going:
            state = going[0]
            break
        time.sleep(0.05)
    assert state, "no host took the run"
    pid = int(state[b"host"].decode().split("-")[-2])
    victim = next(p for p in hosts if p.pid == pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    begun = time.monotonic()
    result = ticket.result(timeout=90)
    assert result["status"] == "ok", result
    assert result["attempt"] == 2 and str(pid) not in result["host"]
    assert time.monotonic() - begun < 30


def test_a_run_whose_hosts_were_lost_twice_fails_clearly_without_running(redis_server):
    from explorer.distributed.broker import key
    from explorer.distributed.host import LOST_TWICE, NOT_RETRIED, Host

    host = Host(redis_server.url, threads=1, pool="cold")   # its worker is not started
    try:
        host.client.hset(key("run", "twice"), "attempt", 2)  # two hosts were lost on it
        result = host.serve("twice", "echo", {"code": "x"}, {"wall_s": 5.0}, True)
        assert result["status"] == "crashed" and result["message"] == LOST_TWICE
        assert "Your code is kept" in result["message"]
        host.client.hset(key("run", "stream"), "attempt", 1)  # a stream is not restarted
        result = host.serve("stream", "stream", {"steps": 3}, {"wall_s": 5.0}, False)
        assert result["message"] == NOT_RETRIED
        assert host.local.state()["served"] == 0             # neither ran
    finally:
        host.stop()


def test_a_run_no_host_takes_fails_with_a_message_instead_of_hanging(monkeypatch):
    from explorer.distributed import dispatch

    monkeypatch.setattr(dispatch, "QUEUE_WAIT_S", 1.0)
    with local_redis.LocalRedis() as lonely:  # a Redis that no worker host serves
        replica = _replica(lonely.url)
        try:
            begun = time.monotonic()
            result = replica.submit("alone", "echo", {"code": "x"}, timeout=30).result(20)
            assert result["status"] == "crashed" and "No worker host took" in result["message"]
            assert "Your code is kept" in result["message"]
            assert time.monotonic() - begun < 10
        finally:
            replica.shutdown()
