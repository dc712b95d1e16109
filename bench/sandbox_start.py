"""Benchmark (run by hand): request to result for a lesson preset, warm pool vs cold process.

    .venv/bin/python bench/sandbox_start.py [--runs 20] [--cold-runs 5]

Warm: one template imports torch and TensorFlow once, then forks a worker per run. Cold: a new
interpreter per run that imports what its job needs after it is confined. Budget (DESIGN.md):
warm worker start under 0.1 s. "start" is a trivial snippet (the run job on torch.ones), an
upper bound of the worker's start: fork, confinement, request, result."""
from __future__ import annotations

import argparse
import json
import statistics
import time

from explorer import lessons
from explorer.sandbox import Scheduler

TRIVIAL = """import torch
def inputs():
    return torch.ones(2, requires_grad=True)
def forward(x):
    return x.sum()
"""


def timed(scheduler: Scheduler, job: str, code: str, pool: str, runs: int) -> dict:
    times, confine = [], []
    for i in range(runs):
        start = time.perf_counter()
        result = scheduler.submit(f"bench-{i}", job, {"code": code}, pool=pool,
                                  timeout=60).result()
        times.append(time.perf_counter() - start)
        assert result["status"] == "ok", result
        confine.append(result["sandbox"]["confine_s"])
    times.sort()
    return {"runs": runs, "p50_s": round(statistics.median(times), 4),
            "p90_s": round(times[int(0.9 * (runs - 1))], 4), "min_s": round(times[0], 4),
            "confine_p50_s": round(statistics.median(confine), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    scheduler = Scheduler(workers=1)
    start = time.perf_counter()
    info = scheduler.warm_up()
    table = {"template_start_s": round(time.perf_counter() - start, 2),
             "template_memory_mb": info["memory"]}
    code = lessons.default().code
    for job in ("graph", "run"):
        table[f"warm {job} (lesson)"] = timed(scheduler, job, code, "warm", args.runs)
    table["warm start (trivial run)"] = timed(scheduler, "run", TRIVIAL, "warm", args.runs)
    table["cold graph (lesson)"] = timed(scheduler, "graph", code, "cold", args.cold_runs)
    table["cold start (trivial run)"] = timed(scheduler, "run", TRIVIAL, "cold", args.cold_runs)
    scheduler.shutdown()
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
