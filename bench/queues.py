"""Which Redis-backed queue library carries the explorer's jobs (issue 13): RQ and Dramatiq on
this workload, with a real redis-server on loopback and two worker processes.

The workload: 40 short jobs of 0.05 to 0.5 s each (what a sandbox run of a lesson costs a
worker host's dispatcher thread: it waits on its local sandbox, so the job is a wait), sent at
once, then one streaming job that sends 50 records back through Redis. Each library runs its
own worker as it is meant to: RQ's default ``Worker`` (forks a work horse per job), RQ's
``SimpleWorker`` (no fork, one job at a time per process), Dramatiq's worker (threads, here 8
per process). Printed: the wall time of the 40, p50/p95 latency, the overhead over the ideal
(the jobs' own time spread over the concurrency), and the first and last record of the stream.

    .venv/bin/python bench/queues.py            # all three
    .venv/bin/python bench/queues.py --only dramatiq
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer.distributed.local_redis import LocalRedis  # noqa: E402

JOBS, THREADS = 40, 8


def short_job(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def stream_job(url: str, channel: str, count: int) -> int:
    import redis

    client = redis.Redis.from_url(url)
    for step in range(count):
        client.rpush(channel, json.dumps({"step": step, "at": time.time()}))
        time.sleep(0.01)
    client.rpush(channel, json.dumps({"done": True, "at": time.time()}))
    return count


def _dramatiq_broker(url: str):
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.results import Results
    from dramatiq.results.backends import RedisBackend

    broker = RedisBroker(url=url)
    broker.add_middleware(Results(backend=RedisBackend(url=url), store_results=True))
    dramatiq.set_broker(broker)
    return broker


def _dramatiq_actors(url: str):
    import dramatiq

    broker = _dramatiq_broker(url)
    short = dramatiq.actor(short_job, actor_name="short_job", store_results=True,
                           max_retries=0, broker=broker)
    stream = dramatiq.actor(stream_job, actor_name="stream_job", store_results=True,
                            max_retries=0, broker=broker)
    return broker, short, stream


def serve(kind: str, url: str) -> None:
    if kind == "dramatiq":
        from dramatiq import Worker

        broker, _short, _stream = _dramatiq_actors(url)
        worker = Worker(broker, worker_threads=THREADS, worker_timeout=50)
        worker.start()
        while True:
            time.sleep(1)
    import redis
    from rq import Queue, SimpleWorker, Worker

    connection = redis.Redis.from_url(url)
    cls = SimpleWorker if kind == "rq-simple" else Worker
    cls([Queue("bench", connection=connection)], connection=connection).work(
        logging_level="WARNING")


def _workers(kind: str, url: str) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, __file__, "--serve", kind, "--redis", url],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(2)]


def measure(kind: str, url: str, durations: list[float]) -> dict:
    import redis

    client = redis.Redis.from_url(url)
    client.flushall()
    workers = _workers(kind, url)
    try:
        time.sleep(3.0)  # the workers' imports
        submitted = time.perf_counter()
        latencies: list[float] = []
        if kind == "dramatiq":
            _broker, short, stream = _dramatiq_actors(url)
            messages = [short.send(d) for d in durations]
            for message in messages:
                message.get_result(block=True, timeout=120_000)
                latencies.append(time.perf_counter() - submitted)
            send_stream = lambda ch: stream.send(url, ch, 50)  # noqa: E731
        else:
            from rq import Queue

            queue = Queue("bench", connection=client)
            jobs = [queue.enqueue("bench.queues.short_job", d) for d in durations]
            pending = set(range(len(jobs)))
            while pending:
                for i in list(pending):
                    if jobs[i].get_status(refresh=True) == "finished":
                        latencies.append(time.perf_counter() - submitted)
                        pending.discard(i)
                time.sleep(0.005)
            send_stream = lambda ch: queue.enqueue("bench.queues.stream_job", url, ch, 50)  # noqa: E731
        wall = time.perf_counter() - submitted
        concurrency = 2 * THREADS if kind == "dramatiq" else 2
        ideal = max(sum(durations) / concurrency, max(durations))
        started = time.time()
        send_stream("bench:stream")
        first = last = None
        while True:
            _ch, raw = client.blpop("bench:stream", timeout=30)
            record = json.loads(raw)
            first = first or record["at"] - started
            if record.get("done"):
                last = record["at"] - started
                break
        latencies.sort()
        return {"library": kind, "concurrency": concurrency, "wall_s": round(wall, 2),
                "ideal_s": round(ideal, 2), "overhead_s": round(wall - ideal, 2),
                "p50_s": round(statistics.median(latencies), 2),
                "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
                "stream_first_s": round(first, 3), "stream_last_s": round(last, 3)}
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve")
    parser.add_argument("--redis")
    parser.add_argument("--only", choices=["rq", "rq-simple", "dramatiq"])
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.redis)
        return
    rng = random.Random(13)
    durations = [round(rng.uniform(0.05, 0.5), 3) for _ in range(JOBS)]
    print(f"load: {os.getloadavg()[0]:.2f}; {JOBS} jobs, {sum(durations):.1f} s of job time")
    with LocalRedis() as server:
        for kind in [args.only] if args.only else ["rq", "rq-simple", "dramatiq"]:
            print(json.dumps(measure(kind, server.url, durations)))


if __name__ == "__main__":
    main()
