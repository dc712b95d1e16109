"""The Dramatiq side shared by replicas and worker hosts: one Redis broker with a results
backend, one queue, one actor. Keys live under ``NAMESPACE``."""
from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

NAMESPACE = "explorer"
QUEUE = "explorer-runs"
ACTOR = "explorer_run"
HEARTBEAT_MS = 4_000          # a worker host silent this long is dead: its runs are requeued
MAINTENANCE_CHANCE = 250_000  # of a million broker calls, which also requeue dead hosts' runs
RESULT_TTL_MS = 10 * 60_000
TIME_LIMIT_MS = 15 * 60_000   # far above any run's own limit (training: 120 s)
MAX_ATTEMPTS = 2              # a run whose host was lost is tried once more, on another host


def key(*parts: object) -> str:
    return ":".join((NAMESPACE, *map(str, parts)))


def make_broker(url: str) -> RedisBroker:
    broker = RedisBroker(url=url, namespace=f"{NAMESPACE}-dramatiq",
                         heartbeat_timeout=HEARTBEAT_MS,
                         maintenance_chance=MAINTENANCE_CHANCE,
                         socket_connect_timeout=2, socket_timeout=10)
    broker.add_middleware(Results(backend=RedisBackend(url=url, namespace=key("results")),
                                  store_results=True, result_ttl=RESULT_TTL_MS))
    return broker


def declare(broker: RedisBroker, fn=None) -> dramatiq.Actor:
    """The ``explorer_run`` actor on ``broker``: ``fn`` on a worker host, a stand-in on a
    replica (which only sends)."""
    def not_here(*_args, **_kwargs):  # a replica runs no worker
        raise RuntimeError("explorer_run runs on a worker host")

    return dramatiq.actor(fn or not_here, actor_name=ACTOR, queue_name=QUEUE, broker=broker,
                          max_retries=0, store_results=True, time_limit=TIME_LIMIT_MS)
