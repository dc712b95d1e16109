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
