"""Benchmark (run by hand): request to result for a lesson preset, warm pool vs cold process.

    .venv/bin/python bench/sandbox_start.py [--runs 20] [--cold-runs 5]

Warm: one template imports torch and TensorFlow once, then serves each run on a spare worker
(forked, confined and warmed up before the request; the benchmark waits, untimed, until one is
ready, as a person reading the last result gives it time to) or, with none ready, on a worker
forked for the run. Cold: a new interpreter per run that imports what its job needs after it
is confined. Budget (DESIGN.md): warm worker start under 0.1 s. "start" is a trivial snippet
(the run job on torch.ones), an upper bound of the worker's start: fork or hand-over,
confinement, request, result."""
from __future__ import annotations

import argparse
import json
import statistics
import time

from explorer import jobs, lessons
from explorer.sandbox import Scheduler, registry
from explorer.sandbox.pool import WarmPool

TRIVIAL = """import torch
def inputs():
    return torch.ones(2, requires_grad=True)
def forward(x):
    return x.sum()
"""


def timed(scheduler: Scheduler, job: str, code: str, pool: str, runs: int,
          spare: bool = False) -> dict:
    times, confine, on_spare = [], [], 0
    for i in range(runs):
        if spare:
            scheduler.pool.wait_spares(1, timeout=60)  # not timed: the spare warms up idle
        start = time.perf_counter()
        result = scheduler.submit(f"bench-{i}", job, {"code": code}, pool=pool,
                                  timeout=60).result()
        times.append(time.perf_counter() - start)
        assert result["status"] == "ok", result
        confine.append(result["sandbox"]["confine_s"])
        on_spare += bool(result["sandbox"].get("spare"))
    times.sort()
    return {"runs": runs, "p50_s": round(statistics.median(times), 4),
            "p90_s": round(times[int(0.9 * (runs - 1))], 4), "min_s": round(times[0], 4),
            "confine_p50_s": round(statistics.median(confine), 4), "on_spares": on_spare}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    registry.use(jobs.TABLE)
    scheduler = Scheduler(workers=1, pool=WarmPool(spares=1))
    start = time.perf_counter()
    info = scheduler.warm_up()
    table = {"template_start_s": round(time.perf_counter() - start, 2),
             "template_memory_mb": info["memory"], "template_threads": info["threads"]}
    start = time.perf_counter()
    scheduler.pool.wait_spares(timeout=120)
    table["first_spare_ready_s"] = round(time.perf_counter() - start, 2)
    code = lessons.default().code
    for job in ("graph", "run", "explore"):
        table[f"warm {job} (lesson), spare"] = timed(scheduler, job, code, "warm", args.runs,
                                                     spare=True)
    table["warm start (trivial run), spare"] = timed(scheduler, "run", TRIVIAL, "warm",
                                                     args.runs, spare=True)
    scheduler.shutdown()
    forked = Scheduler(workers=1, pool=WarmPool(spares=0))
    forked.warm_up()
    for job in ("graph", "explore"):
        table[f"warm {job} (lesson), forked"] = timed(forked, job, code, "warm", args.runs)
    table["warm start (trivial run), forked"] = timed(forked, "run", TRIVIAL, "warm", args.runs)
    table["cold graph (lesson)"] = timed(forked, "graph", code, "cold", args.cold_runs)
    table["cold start (trivial run)"] = timed(forked, "run", TRIVIAL, "cold", args.cold_runs)
    forked.shutdown()
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
