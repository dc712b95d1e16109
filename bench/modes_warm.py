"""What the template's warm-up (``JobTable.template_warm_up``: Dynamo, torch.export and
TorchScript once on the meta device) saves a worker forked from it: the first "PyTorch
compiled" view in a fresh fork, in CPU seconds (``time.process_time`` of the fork: much less
load-bound than wall time on a shared machine) and wall seconds.

This process plays the template: it imports what the warm template imports (the job table's
``preload``), forks one child per (lesson, mode, repeat), each running the ``modes`` job once
as a worker does (the request ``bench/explorer_run.py --modes`` sends) and reporting; then it
runs the warm-up (``bootstrap.warm_template``) and forks the same children again. No sandbox
layer is applied (they cost the same either way).

    .venv/bin/python bench/modes_warm.py [--repeat 3] [--lessons NAME,NAME]
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time

DEFAULT_LESSONS = "data_dependent_if,while_loop,compile_graph_breaks,export_one_graph"


def one_fork(code: str, mode: str, seed: int) -> dict:
    """Fork; the child runs one view and writes its CPU and wall seconds on a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        status = "error"
        try:
            from explorer.jobs import modes as job

            cpu, wall = time.process_time(), time.perf_counter()
            status = job.run({"code": code, "seed": seed, "mode": mode,
                              "input_seeds": [1, 2, 3]})["status"]
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        except BaseException as exc:  # noqa: BLE001 - report, never return into the loop
            cpu = wall = float("nan")
            status = f"failed: {type(exc).__name__}: {exc}"[:200]
        os.write(write_end, json.dumps({"cpu": cpu, "wall": wall, "status": status}).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def table(chosen: list, repeat: int) -> dict:
    from explorer import modes

    rows = {}
    for lesson in chosen:
        for mode in modes.MODES:
            runs = [one_fork(lesson.code, mode, 1000 + i) for i in range(repeat)]
            rows[(lesson.name, mode)] = (statistics.median(r["cpu"] for r in runs),
                                         statistics.median(r["wall"] for r in runs),
                                         runs[0]["status"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lessons", default=DEFAULT_LESSONS)
    args = parser.parse_args()
    from explorer import jobs, lessons
    from explorer.jobs import table as job_table
    from explorer.sandbox import bootstrap

    names = args.lessons.split(",")
    chosen = [lesson for lesson in lessons.all_lessons() if lesson.name in names]
    for name in job_table.JOBS.preload:
        importlib.import_module(name)
    print(f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; jobs {jobs.TABLE}",
          file=sys.stderr)
    before = table(chosen, args.repeat)
    warmed = bootstrap.warm_template(job_table.JOBS.template_warm_up)
    after = table(chosen, args.repeat)
    print(f"template warm-up: {warmed}; load {os.getloadavg()[0]:.2f}")
    print(f"{'lesson':<22} {'mode':<12} {'cpu cold':>9} {'cpu warm':>9} {'wall cold':>10} "
          f"{'wall warm':>10}  status")
    for key, (cpu, wall, status) in before.items():
        cpu_w, wall_w, _status = after[key]
        print(f"{key[0]:<22} {key[1]:<12} {cpu:8.3f}s {cpu_w:8.3f}s {wall:9.3f}s {wall_w:9.3f}s"
              f"  {status}")
    worst = max(after.values(), key=lambda row: row[1])
    print(f"worst warm wall p50 {worst[1]:.3f} s, worst warm CPU p50 "
          f"{max(row[0] for row in after.values()):.3f} s (budget 1 s)")


if __name__ == "__main__":
    main()
