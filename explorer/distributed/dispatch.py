"""A replica's side of the worker hosts: ``RemoteRuns`` sends a flight as a Dramatiq message and
follows it until its answer, with its records streamed back through Redis.

Never hangs: a run no host took within ``QUEUE_WAIT_S`` fails with a message; a run whose host
stops beating for ``LOST_S`` waits ``REQUEUE_WAIT_S`` for Dramatiq to hand it to another host
(once: the host refuses a third attempt), else fails with a message. While Redis cannot be
reached the scheduler runs flights on its local pool (``available`` is False, or ``execute``
returns None before the run was sent); a run already sent when Redis went away is run again
locally, so the student's request is never lost."""
from __future__ import annotations

import json
import threading
import time
import uuid

import redis
from dramatiq.results import ResultMissing, ResultTimeout

from explorer.distributed import broker as broker_module
from explorer.distributed.broker import HEARTBEAT_MS, key

CONCURRENCY = 64        # runs this replica follows at once (scheduler threads)
QUEUE_WAIT_S = 900.0    # the longest a run may wait for a host to take it
LOST_S = 3.0            # a host whose run did not beat for this long is lost
REQUEUE_WAIT_S = HEARTBEAT_MS / 1000 + 10.0
PING_EVERY_S = 1.0
REDIS_ERRORS = (redis.RedisError, OSError)


def _failed(message: str) -> dict:
    return {"status": "crashed", "elapsed_s": 0.0, "stdout": "", "message": message}


class RemoteHandle:
    """What a flight holds as its ``run`` while a host runs it: stop and cancel as flags."""

    pid = None

    def __init__(self, client: redis.Redis, run_id: str) -> None:
        self.client, self.state = client, key("run", run_id)

    def stop(self) -> None:
        self.client.hset(self.state, "stop", 1)

    def kill(self, _reason: str) -> None:
        self.client.hset(self.state, "cancel", 1)


class RemoteRuns:
    concurrency = CONCURRENCY

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=1)
        self._broker = self._actor = None
        self._lock = threading.Lock()
        self._reachable, self._checked, self._down_since = False, 0.0, None
        self.sent = self.fallbacks = 0

    def _actor_now(self):
        with self._lock:
            if self._actor is None:
                self._broker = broker_module.make_broker(self.url)
                self._actor = broker_module.declare(self._broker)
            return self._actor

    def available(self) -> bool:
        """Whether Redis answers (asked at most once a second)."""
        now = time.monotonic()
        if now - self._checked >= PING_EVERY_S:
            try:
                self.client.ping()
                self._mark(True)
            except REDIS_ERRORS:
                self._mark(False)
            self._checked = now
        return self._reachable

    def _mark(self, reachable: bool) -> None:
        if not reachable and self._down_since is None:
            self._down_since = time.time()
        elif reachable:
            self._down_since = None
        self._reachable = reachable
        self._checked = time.monotonic()

    def hosts(self) -> int:
        """Worker hosts that beat within the heartbeat timeout (Dramatiq's own record)."""
        beats = f"{broker_module.NAMESPACE}-dramatiq:__heartbeats__"
        since = time.time() * 1000 - HEARTBEAT_MS
        try:
            return int(self.client.zcount(beats, since, "+inf"))
        except REDIS_ERRORS:
            return 0

    def state(self) -> dict:
        reachable = self.available()
        return {"kind": "redis", "url": self.url.split("@")[-1], "reachable": reachable,
                "down_since": self._down_since, "hosts": self.hosts() if reachable else 0,
                "sent": self.sent, "local_fallbacks": self.fallbacks}

    def execute(self, flight) -> dict | None:
        """The flight's answer from a worker host; None: run it locally (Redis unreachable)."""
        run_id = uuid.uuid4().hex
        try:
            actor = self._actor_now()
            message = actor.send(run_id, flight.job, flight.request, flight.limits.to_json(),
                                 flight.key is not None)
        except REDIS_ERRORS:
            self._mark(False)
            self.fallbacks += 1
            return None
        self.sent += 1
        flight.run = RemoteHandle(self.client, run_id)
        try:
            return self._follow(flight, message, run_id)
        except REDIS_ERRORS:
            self._mark(False)
            self.fallbacks += 1
            flight.run = None
            return None

    def _follow(self, flight, message, run_id: str) -> dict:
        backend = self._broker.get_results_backend()
        state, records = key("run", run_id), key("run", run_id, "records")
        sent_at, sent, lost_at = time.monotonic(), 0, None
        if flight.killed:
            flight.run.kill("cancel")
        while True:
            try:
                result = backend.get_result(message, block=True, timeout=200)
            except (ResultTimeout, ResultMissing):
                result = None
            new = self.client.lrange(records, sent, -1)
            for raw in new:
                flight.stream(json.loads(raw))
            sent += len(new)
            if result is not None:
                return result
            info = self.client.hgetall(state)
            now = time.monotonic()
            if not info:
                if now - sent_at > QUEUE_WAIT_S:
                    flight.run.kill("cancel")
                    return _failed(f"No worker host took this run within {QUEUE_WAIT_S:g} s. "
                                   "Your code is kept: press Run to try again.")
                continue
            silent = time.time() - float(info.get(b"beat", 0))
            if silent < LOST_S:
                lost_at = None
                continue
            lost_at = lost_at or now
            if now - lost_at > REQUEUE_WAIT_S:
                return _failed("The worker host running this was lost and no other host "
                               f"took the run within {REQUEUE_WAIT_S:g} s. Your code is kept: "
                               "press Run to try again.")

    def close(self) -> None:
        if self._broker is not None:
            self._broker.close()
