"""The result cache in Redis, shared by every replica: the same methods as the in-memory
``sandbox.cache.ResultCache``, bounded in entries and in bytes of JSON (least recently used
out first: a sorted set of last uses, a hash of sizes), with a local in-memory cache behind it
while Redis cannot be reached (then each replica keeps its own)."""
from __future__ import annotations

import json
import time

import redis

from explorer.distributed.broker import key
from explorer.sandbox import cache

REDIS_ERRORS = (redis.RedisError, OSError)
ENTRY = key("cache", "entry")      # + content key: the answer's JSON
USED = key("cache", "used")        # sorted set: content key -> last use
SIZES = key("cache", "sizes")      # hash: content key -> bytes
STORED = key("cache", "stored")    # hash: content key -> when it was stored
TOTAL = key("cache", "bytes")
RETRY_AFTER_S = 1.0    # after an error, Redis is left alone this long (the local cache serves)


class RedisCache:
    def __init__(self, url: str, max_entries: int = cache.MAX_ENTRIES,
                 max_bytes: int = cache.MAX_BYTES) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.local = cache.ResultCache(max_entries, max_bytes)
        self.hits = self.misses = self.errors = 0
        self._failed_at = -RETRY_AFTER_S

    def _down(self) -> bool:
        return time.monotonic() - self._failed_at < RETRY_AFTER_S

    def _error(self) -> None:
        self.errors += 1
        self._failed_at = time.monotonic()

    def get(self, content_key: str) -> tuple[dict, float] | None:
        if self._down():
            return self.local.get(content_key)
        try:
            pipe = self.client.pipeline()
            pipe.get(f"{ENTRY}:{content_key}")
            pipe.hget(STORED, content_key)
            data, stored = pipe.execute()
            if data is None:
                self.misses += 1
                return None
            self.client.zadd(USED, {content_key: time.time()})
            self.hits += 1
            return json.loads(data), float(stored or time.time())
        except REDIS_ERRORS:
            self._error()
            return self.local.get(content_key)

    def put(self, content_key: str, result: dict) -> bool:
        if not cache.keepable(result):
            return False
        data = cache.encode(result)
        if len(data) > self.max_bytes:
            return False
        if self._down():
            return self.local.put(content_key, result)
        try:
            pipe = self.client.pipeline()
            pipe.set(f"{ENTRY}:{content_key}", data)
            pipe.zadd(USED, {content_key: time.time()})
            pipe.hget(SIZES, content_key)
            pipe.hset(SIZES, content_key, len(data))
            pipe.hset(STORED, content_key, time.time())
            _set, _used, old, _size, _stored = pipe.execute()
            total = self.client.incrby(TOTAL, len(data) - int(old or 0))
            self._trim(total)
            return True
        except REDIS_ERRORS:
            self._error()
            return self.local.put(content_key, result)

    def _trim(self, total: int) -> None:
        while total > self.max_bytes or self.client.zcard(USED) > self.max_entries:
            oldest = self.client.zpopmin(USED)
            if not oldest:
                return
            name = oldest[0][0].decode()
            size = int(self.client.hget(SIZES, name) or 0)
            pipe = self.client.pipeline()
            pipe.delete(f"{ENTRY}:{name}")
            pipe.hdel(SIZES, name)
            pipe.hdel(STORED, name)
            pipe.decrby(TOTAL, size)
            total = pipe.execute()[-1]

    def state(self) -> dict:
        try:
            entries, size = self.client.zcard(USED), int(self.client.get(TOTAL) or 0)
            reachable = True
        except REDIS_ERRORS:
            entries, size, reachable = None, None, False
        return {"kind": "redis", "reachable": reachable, "entries": entries, "bytes": size,
                "max_entries": self.max_entries, "max_bytes": self.max_bytes,
                "hits": self.hits, "misses": self.misses, "errors": self.errors,
                "local": self.local.state()}
