"""Which scheduler this process runs (issue 13): the embedded default, one process with the
in-memory result cache and the local pool; or, with ``$EXPLORER_REDIS`` set to a Redis URL
(a replica of many), runs sent to worker hosts and the cache shared through Redis, the local
pool serving while Redis is unreachable."""
from __future__ import annotations

import os

from explorer.sandbox.cache import ResultCache
from explorer.sandbox.schedule import Scheduler

REDIS_ENV = "EXPLORER_REDIS"


def redis_url() -> str | None:
    return os.environ.get(REDIS_ENV, "").strip() or None


def process_scheduler() -> Scheduler:
    url = redis_url()
    if url is None:
        return Scheduler(cache=ResultCache())
    from explorer.distributed.dispatch import RemoteRuns
    from explorer.distributed.rcache import RedisCache

    return Scheduler(cache=RedisCache(url), remote=RemoteRuns(url))


def describe(state: dict) -> tuple[str, str]:
    """``(level, sentence)`` for the About page from ``Scheduler.state()``: embedded, worker
    hosts through a reachable Redis, or Redis unreachable and the local pool serving."""
    remote, shared = state.get("remote"), state.get("cache") or {}
    cached = (f"{shared.get('entries', 0)} answers cached, {state.get('shared', 0)} runs "
              "shared") if shared.get("entries") is not None else "cache in Redis unreachable"
    if remote is None:
        return "info", ("Embedded: one process, the local pool, an in-memory result cache "
                        f"({cached}); no Redis.")
    if remote.get("reachable"):
        return "success", (f"Redis at {remote['url']} is reachable: runs go to "
                           f"{remote['hosts']} worker host(s), the result cache is shared "
                           f"by every replica ({cached}).")
    return "warning", (f"Redis at {remote['url']} is unreachable: this server runs every run "
                       "on its local pool and keeps its own in-memory cache until Redis "
                       "answers again.")
