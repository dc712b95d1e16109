"""Time per live update of the gradients page, for every lesson preset. Run by hand:
``.venv/bin/python bench/grads_live.py [--repeats 20] [--sandbox-repeats 10]``.

A live update is what a slider drag asks for: the snippet with one parameter element (or the
input scale) changed, run again, every gradient, node and saved byte reported. Two figures:

- engine: load + edit + forward + capture + hooks + backward + report, in this process
  (what the worker does, without process start);
- sandbox: ``sandbox.run_job("grads", ..., pool=warm)`` request to result: a fresh confined
  worker forked from the warm template, as the app runs it (``--pool cold``: a new process).

Budget (issue 6): under 0.5 s per update for lesson presets, warm. Also shown: the
on-demand finite-difference check, which is not part of a live update.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from explorer import jobs, lessons, sandbox, snippet
from explorer.jobs import grads

sandbox.registry.use(jobs.TABLE)  # the sandbox runs our jobs

BUDGET_S = 0.5


def first_parameter_element(code: str, result: dict) -> dict | None:
    """A slider target: element 0 of the first parameter the run reports, at its value."""
    for name, leaf in result["leaves"].items():
        if leaf["kind"] == "param":
            index = [0] * len(leaf["shape"])
            tensor = dict(snippet.load(code).module_tensors())[name]
            return {"name": name, "index": index, "value": tensor[tuple(index)].item()}
    return None


def requests(code: str, target: dict | None, count: int) -> list[dict]:
    """``count`` slider positions within 10% of where the snippet starts: a parameter element
    when there is one, else the input scale. (A wider sweep can leave the snippet's domain:
    the while-loop lesson never ends once its shrink factor reaches 1, which in the app is
    the sandbox's timeout and its lesson, and here would hang the benchmark.)"""
    out = []
    for k in range(count):
        step = -0.1 + 0.2 * k / max(1, count - 1)
        if target is not None:
            value = target["value"] * (1 + step) if target["value"] else step
            out.append({"code": code, "param_element": {**target, "value": value}})
        else:
            out.append({"code": code, "input_scale": 1.0 + step})
    return out


def timed(fn, reqs: list[dict]) -> list[float]:
    times = []
    for req in reqs:
        start = time.perf_counter()
        result = fn(req)
        times.append(time.perf_counter() - start)
        if result.get("status") != "ok":
            raise SystemExit(f"run failed: {result.get('message')}")
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="engine runs per preset")
    parser.add_argument("--sandbox-repeats", type=int, default=10, help="sandbox runs per preset")
    parser.add_argument("--pool", default="warm", choices=("warm", "cold"),
                        help="sandbox workers forked from a warm template (the app's) or cold")
    args = parser.parse_args()
    torch.set_num_threads(2)  # the budget is for a 2-core machine
    header = (f"{'lesson':<24} {'nodes':>5} {'engine p50':>10} {'p90':>7} {'sandbox p50':>11} "
              f"{'p90':>7} {'worker':>8} {'gradcheck':>9}  budget")
    print(header)
    for lesson in lessons.all_lessons():
        probe = grads.run({"code": lesson.code})
        if probe["status"] != "ok":  # the error lessons fail on purpose
            print(f"{lesson.name:<24} skipped: fails on purpose ({probe['error_type']})")
            continue
        target = first_parameter_element(lesson.code, probe)
        reqs = requests(lesson.code, target, args.repeats)
        timed(grads.run, reqs[:2])  # warm: first-call costs of torch kernels
        engine = timed(grads.run, reqs)
        box_reqs = requests(lesson.code, target, args.sandbox_repeats)
        worker: list[float] = []

        def through_sandbox(req: dict) -> dict:
            result = sandbox.run_job("grads", req, pool=args.pool)
            worker.append(result.get("timings", {}).get("total_s", float("nan")))
            return result

        timed(through_sandbox, box_reqs[:1])  # warm the pool, if there is one
        worker.clear()
        boxed = timed(through_sandbox, box_reqs)
        check = grads.run({"code": lesson.code, "gradcheck": True})
        nodes = len(check["nodes"])
        verdict = "ok" if p(boxed, 50) < BUDGET_S else "OVER"
        print(f"{lesson.name:<24} {nodes:>5} {p(engine, 50) * 1e3:8.1f}ms "
              f"{p(engine, 90) * 1e3:5.1f}ms {p(boxed, 50) * 1e3:9.0f}ms "
              f"{p(boxed, 90) * 1e3:5.0f}ms {statistics.median(worker) * 1e3:6.1f}ms "
              f"{check['timings']['gradcheck_s'] * 1e3:7.0f}ms  {verdict}")
    print("engine: in-process grads job; sandbox: run_job request to result; worker: the "
          "job's own total inside the worker; budget: sandbox p50 under "
          f"{BUDGET_S * 1e3:.0f} ms; gradcheck: on demand, not part of a live update.")


if __name__ == "__main__":
    main()
