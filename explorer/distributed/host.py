"""A sandbox worker host: Dramatiq's worker, one thread per local sandbox worker, each running
one message through this host's own scheduler (its warm template, spares and confinement, as
on a one-process server), streaming the run's records back through Redis as they come.

Per run, under ``broker.key("run", run_id)``: a hash (``host``, ``attempt``, ``started``,
``beat``: refreshed every ``BEAT_S`` while the run goes on), the records list, and the
replica's ``stop``/``cancel`` flags. A run seen for the third time (its host was lost twice)
is not run again: its answer says so. A streaming run (training) is not retried: its records
so far were already shown."""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import uuid

import redis

from explorer.distributed import broker as broker_module
from explorer.distributed.broker import MAX_ATTEMPTS, key
from explorer.sandbox.limits import Limits
from explorer.sandbox.schedule import Scheduler

BEAT_S = 0.5
RUN_TTL_S = 3600
LOST_TWICE = ("The worker hosts running this were lost twice (a host stopped mid-run), so it "
              "was not tried again. Your code is kept: press Run to try again.")
NOT_RETRIED = ("The worker host running this was lost mid-run; a streaming run is not "
               "restarted, and its records so far are kept. Press Run to start it again.")


class Host:
    """One worker host. ``start()`` returns at once; ``stop()`` ends it."""

    def __init__(self, url: str, threads: int | None = None, pool: str = "warm") -> None:
        self.url = url
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.local = Scheduler(workers=threads, default_pool=pool)
        self.client = redis.Redis.from_url(url, socket_timeout=10)
        self.broker = broker_module.make_broker(url)
        broker_module.declare(self.broker, self.serve)
        self.worker = None

    def serve(self, run_id: str, job: str, request: dict, limits: dict, retry: bool) -> dict:
        """One message: the run on the local sandbox; its answer is the message's result."""
        state = key("run", run_id)
        attempt = self.client.hincrby(state, "attempt", 1)
        self.client.hset(state, mapping={"host": self.id, "started": time.time(),
                                         "beat": time.time()})
        self.client.expire(state, RUN_TTL_S)
        if attempt > MAX_ATTEMPTS or (attempt > 1 and not retry):
            return {"status": "crashed", "elapsed_s": 0.0, "stdout": "", "host": self.id,
                    "message": LOST_TWICE if attempt > MAX_ATTEMPTS else NOT_RETRIED}
        records = key("run", run_id, "records")
        self.client.delete(records)
        ticket = self.local.submit(f"remote/{run_id}", job, request,
                                   limits=Limits.from_json(limits))
        sent, stopped, beat = 0, False, 0.0
        while True:
            done = ticket.result(timeout=0.1) is not None
            new = ticket.records(sent)
            if new:
                self.client.rpush(records, *[json.dumps(r) for r in new])
                self.client.expire(records, RUN_TTL_S)
                sent += len(new)
            if done:
                break
            if time.monotonic() - beat > BEAT_S:
                beat = time.monotonic()
                flags = self.client.hmget(state, "stop", "cancel")
                self.client.hset(state, "beat", time.time())
                if flags[1]:
                    ticket.cancel()
                elif flags[0] and not stopped:
                    stopped = True
                    ticket.stop()
        self.client.hset(state, "records", sent)
        return {**ticket.result(), "host": self.id, "attempt": attempt}

    def start(self) -> None:
        from dramatiq import Worker

        if self.local.default_pool == "warm":
            self.local.warm_up(precompute=False)
        self.worker = Worker(self.broker, worker_threads=self.local.workers,
                             worker_timeout=200)
        # a host takes no more runs than it has workers, so an idle host gets the next one
        self.worker.queue_prefetch = self.local.workers
        self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=5_000)
        self.local.shutdown()


def run_forever(url: str, threads: int | None = None, pool: str = "warm") -> int:
    """``python -m explorer worker``: serve until SIGTERM or Ctrl-C."""
    host = Host(url, threads, pool)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    host.start()
    print(f"worker host {host.id}: {host.local.workers} workers, queue {broker_module.QUEUE} "
          f"on {url}", flush=True)
    done.wait()
    host.stop()
    return 0
