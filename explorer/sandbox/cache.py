"""Results shared by content (issue 13): a run's key is a hash of everything that decides its
answer, and an answer already computed is given again, marked as such.

The key hashes the job, the whole request (code, seed, device and every other field, in a
canonical JSON), the run's limits, and the versions of torch, TensorFlow and this package
(with a digest of its sources, so an edited job misses too). Only jobs the job table names
``cacheable`` are shared, and only answers that any rerun would give again: ``ok`` and the
user's own errors (``error``, ``syntax``). A timeout, a memory kill, a crash, a cancel or an
unfinished twin depend on the moment, so they are never kept. Streaming jobs (training) are
never cacheable: their records and speeds are re-measured by every run.

A shared answer says so in ``cached``: ``{"source": "cache" | "in-flight", "key", "age_s",
"timing": ...}``. Its timing fields (``elapsed_s``, ``timings``, ``*_s``) are those the original
run measured, not re-measured; ``elapsed_s`` stays the original run's and ``cached.answer_s``
is how long this request waited for it.

``ResultCache`` is the embedded one (in memory, bounded in entries and in bytes of JSON, least
recently used first out); ``explorer.distributed`` has the Redis one with the same methods."""
from __future__ import annotations

import collections
import hashlib
import json
import threading
import time
from functools import cache
from importlib import metadata
from pathlib import Path

CACHED_STATUSES = ("ok", "error", "syntax")
MAX_ENTRIES = 512
MAX_BYTES = 256 << 20
TIMING_NOTE = ("timing fields (elapsed_s, timings, *_s) were measured by the run that computed "
               "this answer; they are not re-measured")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]   # explorer/


def _version(*names: str) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "absent"


@cache
def versions() -> dict[str, str]:
    """What the answer depends on besides the request: torch, TensorFlow and this package (its
    version and a digest of its sources). Read from metadata: nothing is imported."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE_ROOT)).encode())
        digest.update(path.read_bytes())
    return {"torch": _version("torch"), "tensorflow": _version("tensorflow-cpu", "tensorflow"),
            "explorer": _version("graph-explorer"), "sources": digest.hexdigest()[:16]}


def key(job: str, request: dict, limits: dict | None = None,
        versions_: dict | None = None) -> str:
    """The content key of a run: a SHA-256 over job, request, limits and versions."""
    material = {"job": job, "request": request, "limits": limits or {},
                "versions": versions() if versions_ is None else versions_}
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def keepable(result: dict | None) -> bool:
    """Whether ``result`` is an answer any rerun would give again."""
    return (isinstance(result, dict) and result.get("status") in CACHED_STATUSES
            and "unfinished" not in result and not result.get("cached"))


def mark(result: dict, source: str, content_key: str, stored_at: float,
         answer_s: float) -> dict:
    """A copy of ``result`` marked as shared (``source``: "cache" or "in-flight")."""
    return {**result, "cached": {"source": source, "key": content_key[:16],
                                 "age_s": round(max(0.0, time.time() - stored_at), 3),
                                 "answer_s": round(answer_s, 4), "timing": TIMING_NOTE}}


def encode(result: dict) -> bytes:
    return json.dumps(result, separators=(",", ":")).encode()


class ResultCache:
    """In memory, least recently used out first, at most ``max_entries`` answers and
    ``max_bytes`` of their JSON. Safe from any thread."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: collections.OrderedDict[str, tuple[bytes, float]] = \
            collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, content_key: str) -> tuple[dict, float] | None:
        """``(result, stored_at)`` or None."""
        with self._lock:
            item = self._items.get(content_key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(content_key)
            self.hits += 1
        return json.loads(item[0]), item[1]

    def put(self, content_key: str, result: dict) -> bool:
        """Keep ``result`` if it is keepable and fits; False otherwise."""
        if not keepable(result):
            return False
        data = encode(result)
        if len(data) > self.max_bytes:
            return False
        with self._lock:
            old = self._items.pop(content_key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._items[content_key] = (data, time.time())
            self._bytes += len(data)
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _key, (dropped, _at) = self._items.popitem(last=False)
                self._bytes -= len(dropped)
        return True

    def state(self) -> dict:
        with self._lock:
            return {"kind": "memory", "entries": len(self._items), "bytes": self._bytes,
                    "max_entries": self.max_entries, "max_bytes": self.max_bytes,
                    "hits": self.hits, "misses": self.misses}
