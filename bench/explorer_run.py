"""From Run to both graphs ready, per lesson, warm: what the server does for one Run of the
explorer page (the ``explore`` job in a warm sandbox worker, then DOT and SVG of the PyTorch
graph and of the tf.function graph). Budget (DESIGN.md): p50 under 0.5 s per lesson.

Run by hand: ``.venv/bin/python bench/explorer_run.py [--repeat 7] [--spares N] [--pause S]
[--modes] [--lessons NAME,NAME]``.

``spare`` counts the runs a pre-warmed spare worker served (the others got a worker forked for
them, which pays TensorFlow's and torch's first-use costs itself). Runs follow each other at
once by default, faster than a person clicks Run; ``--pause`` waits between them, as a person
reading the graphs would, which gives spares time to warm up.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from explorer import jobs, lessons, render, sandbox
from explorer.graph import Graph

sandbox.registry.use(jobs.TABLE)  # the sandbox runs our jobs


def one_run(code: str) -> tuple[float, float, float, bool]:
    """Seconds for the job and for rendering both graphs, their sum, and whether a spare ran
    it."""
    start = time.perf_counter()
    # a field the job ignores makes each request its own: a fresh run, not the result cache
    result = sandbox.run_job("explore", {"code": code, "seed": 0, "bench": uuid.uuid4().hex},
                             pool="warm")
    job_s = time.perf_counter() - start
    spare = bool(result.get("sandbox", {}).get("spare"))
    if result["status"] != "ok":
        return job_s, 0.0, job_s, spare
    graphs = [Graph.from_json(result["run"]["graph"])]
    if result.get("twin", {}).get("graph"):
        graphs.append(Graph.from_json(result["twin"]["graph"]))
    start = time.perf_counter()
    for graph in graphs:
        render.run_dot(render.to_dot(graph), "svg")
    render_s = time.perf_counter() - start
    return job_s, render_s, job_s + render_s, spare


def one_mode(code: str, mode: str, seed: int) -> float:
    """Seconds for the "PyTorch compiled" view of one mode (the ``modes`` job, on demand after
    the Run: never on its critical path) and for drawing its graph. Each call has a seed of
    its own, so that none is answered from the result cache."""
    from explorer.modes import draw

    start = time.perf_counter()
    result = sandbox.run_job("modes", {"code": code, "seed": seed, "mode": mode,
                                       "input_seeds": [1, 2, 3]}, pool="warm")
    graph = result.get("graph") or (result.get("rewrite") or {}).get("graph")
    if graph:
        render.run_dot(draw.to_dot(Graph.from_json(graph)), "svg")
    return time.perf_counter() - start


def modes_table(repeat: int, chosen: list) -> None:
    """The modes view per lesson and mode, p50 (budget: under 1 s warm each)."""
    from explorer import modes

    print(f"{'lesson':<24} " + " ".join(f"{m:>12}" for m in modes.MODES))
    worst = 0.0
    for lesson in chosen:
        if lesson.teaches_error:
            continue
        row = []
        for mode in modes.MODES:
            one_mode(lesson.code, mode, 999)
            row.append(statistics.median(one_mode(lesson.code, mode, 1000 + i)
                                         for i in range(repeat)))
        worst = max(worst, *row)
        print(f"{lesson.name:<24} " + " ".join(f"{t:11.3f}s" for t in row))
    print(f"modes view: worst per-lesson p50 {worst:.3f} s (budget 1 s, off the Run's path)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--spares", type=int, default=None,
                        help="spare workers to keep ready (default: $EXPLORER_SPARES, else "
                             "one per core, at most 4; 0: none, every run forks)")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds between runs (default 0: back to back)")
    parser.add_argument("--modes", action="store_true",
                        help="also time the \"PyTorch compiled\" view of each mode")
    parser.add_argument("--lessons", default="",
                        help="comma-separated lesson names (default: every lesson)")
    args = parser.parse_args()
    chosen = [lesson for lesson in lessons.all_lessons()
              if not args.lessons or lesson.name in args.lessons.split(",")]
    if args.spares is not None:
        os.environ["EXPLORER_SPARES"] = str(args.spares)
    start = time.perf_counter()
    scheduler = sandbox.scheduler()
    scheduler.warm_up(spares=True)
    state = scheduler.state()["pool"]
    print(f"warm pool started in {time.perf_counter() - start:.1f} s (once per server), "
          f"{state['spares']['ready']} spares ready, template "
          f"{state['memory']['vmrss_mb']} MB resident")
    print(f"{'lesson':<24} {'job p50':>8} {'render p50':>11} {'total p50':>10} {'max':>7} "
          f"{'spare':>6}")
    totals = []
    for lesson in chosen:
        one_run(lesson.code)  # the first run of a lesson pays for nothing extra, but be fair
        runs = []
        for _ in range(args.repeat):
            time.sleep(args.pause)
            runs.append(one_run(lesson.code))
        job, draw, total = (statistics.median(r[i] for r in runs) for i in range(3))
        totals.append(total)
        print(f"{lesson.name:<24} {job:7.3f}s {draw:10.3f}s {total:9.3f}s "
              f"{max(r[2] for r in runs):6.3f}s {sum(r[3] for r in runs):>3}/{len(runs)}")
    if args.modes:
        modes_table(max(3, args.repeat // 2), chosen)
    served = scheduler.state()["pool"].get("served", {})
    print(f"all lessons: p50 of the per-lesson p50s {statistics.median(totals):.3f} s, "
          f"worst {max(totals):.3f} s (budget 0.5 s); workers: {served.get('spare', 0)} "
          f"spares, {served.get('forked', 0)} forked for their run")
    scheduler.shutdown()


if __name__ == "__main__":
    main()
