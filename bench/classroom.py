"""A class presses Run at once (issue 13): N simulated students submit the explorer page's
request in the same instant, through ``sandbox.scheduler().submit(...)`` exactly as the page
does (one browser session each, the interactive lane, the warm pool), and wait for their
answers. Printed: p50/p95/max latency from the press to the answer, the statuses, how many
answers were shared (from the cache or a run in flight), and the throughput.

    .venv/bin/python bench/classroom.py --students 40 --mix same
    .venv/bin/python bench/classroom.py --students 40 --mix distinct
    .venv/bin/python bench/classroom.py --students 200 --mix distinct
    .venv/bin/python bench/classroom.py --students 40 --mix lessons --hosts 2

Mixes: ``same`` (every student on the default lesson at its default settings), ``lessons``
(students spread over the course's lessons), ``distinct`` (each student's own snippet: a
lesson with a line of their own, so nothing can be shared). The server starts first as the app
does (``scheduler().warm_up()``: the template, its spares, and the lessons computed in the
background); the class presses Run once that is done (``--no-precompute``: not computed, only
sharing in flight helps). ``--hosts 2``: a real redis-server on loopback and two worker hosts
(``python -m explorer worker``) on this machine; they share its cores, so compare their
throughput with one host's before projecting a speed-up.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explorer import jobs, lessons, sandbox  # noqa: E402
from explorer.sandbox import scale  # noqa: E402

sandbox.registry.use(jobs.TABLE)  # the sandbox runs our jobs


def requests(students: int, mix: str) -> list[dict]:
    course = lessons.all_lessons()
    if mix == "same":
        return [{"code": lessons.default().code, "seed": 0, "device": "cpu"}] * students
    if mix == "lessons":
        return [{"code": course[i % len(course)].code, "seed": 0, "device": "cpu"}
                for i in range(students)]
    return [{"code": f"# student {i}\n" + course[i % len(course)].code, "seed": 0,
             "device": "cpu"} for i in range(students)]


def start_hosts(count: int, url: str) -> list[subprocess.Popen]:
    hosts = [subprocess.Popen([sys.executable, "-m", "explorer", "worker", "--redis", url],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True) for _ in range(count)]
    for host in hosts:
        print("  " + host.stdout.readline().strip(), flush=True)
    return hosts


def press_run(students: int, mix: str) -> dict:
    scheduler = sandbox.scheduler()
    pressed = time.perf_counter()
    tickets = [scheduler.submit(f"student-{i}/interactive", "explore", request,
                                pool=sandbox.choose_pool("warm"))
               for i, request in enumerate(requests(students, mix))]
    latencies, statuses, shared = [], Counter(), Counter()
    for ticket in tickets:
        result = ticket.result()
        latencies.append(time.perf_counter() - pressed)
        statuses[result["status"]] += 1
        shared[(result.get("cached") or {}).get("source", "ran")] += 1
    drain = max(latencies)
    latencies.sort()
    return {"students": students, "mix": mix, "p50_s": round(statistics.median(latencies), 2),
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
            "max_s": round(drain, 2), "statuses": dict(statuses), "answers": dict(shared),
            "throughput_per_s": round(students / drain, 2),
            "runs_per_s": round(shared["ran"] / drain, 2) if shared["ran"] else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--mix", choices=("same", "lessons", "distinct"), default="same")
    parser.add_argument("--hosts", type=int, default=0, help="worker hosts through Redis")
    parser.add_argument("--no-precompute", action="store_true")
    args = parser.parse_args()
    if args.no_precompute:
        os.environ["EXPLORER_PRECOMPUTE"] = "0"
    redis_server, hosts = None, []
    if args.hosts:
        from explorer.distributed.local_redis import LocalRedis

        redis_server = LocalRedis().start()
        os.environ[scale.REDIS_ENV] = redis_server.url
        hosts = start_hosts(args.hosts, redis_server.url)
    print(f"load before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)", flush=True)
    try:
        scheduler = sandbox.scheduler()
        begun = time.perf_counter()
        scheduler.warm_up(spares=True)
        if not args.no_precompute:  # the lessons, computed in the background at start
            while scheduler.state()["served"] < len(lessons.all_lessons()):
                time.sleep(0.2)
        print(f"server ready in {time.perf_counter() - begun:.1f} s "
              f"({scheduler.state()['served']} lessons computed)", flush=True)
        print(press_run(args.students, args.mix), flush=True)
        print(f"load after: {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        sandbox.scheduler().shutdown()
        for host in hosts:
            host.terminate()
            host.wait()
        if redis_server is not None:
            redis_server.close()


if __name__ == "__main__":
    main()
