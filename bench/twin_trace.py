"""Translation + trace time of the TensorFlow twin, per lesson preset, warm. Run by hand:
``.venv/bin/python bench/twin_trace.py [--repeats 7]``.

Per lesson with a twin, after one warm-up run in this process (TensorFlow imported, AutoGraph
and the op kernels loaded):

- translate: snippet text -> TF text (the AST rewrite);
- trace: the TF code's module level run, the torch run's values copied in, and
  ``tf.function(forward).get_concrete_function`` (AutoGraph conversion + tracing);
- check: the whole ``twin.compare`` (torch run, translate, trace, capture, GradientTape run
  and the comparison), for scale.

Budget (issue 3): translate + trace under 0.3 s per preset, warm (median).
"""
from __future__ import annotations

import argparse
import statistics
import time

from explorer import lessons, twin
from explorer.twin.limits import NoTwin

BUDGET_S = 0.3


def time_once(code: str, torch_run: object) -> tuple[float, float]:
    from explorer.twin import run as twin_run

    start = time.perf_counter()
    text = twin.translate(code).code
    translated = time.perf_counter()
    side = twin_run.load_tf(text, torch_run)
    twin_run.trace(side)
    return translated - start, time.perf_counter() - translated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    from explorer.twin import run as twin_run  # imports TensorFlow: not part of any figure

    print(f"{'lesson':<24}{'translate ms':>14}{'trace ms':>10}{'sum ms':>9}{'check ms':>10}"
          "  budget")
    worst = 0.0
    for lesson in lessons.all_lessons():
        try:
            twin.translate(lesson.code)
        except NoTwin as no_twin:
            print(f"{lesson.name:<24}  no twin: {no_twin.construct}")
            continue
        warm = twin.compare(lesson.code)
        if warm["status"] != "ok":
            print(f"{lesson.name:<24}  {warm['status']}: {warm['message'][:60]}")
            continue
        torch_run = twin_run.run_torch(lesson.code)
        runs = [time_once(lesson.code, torch_run) for _ in range(args.repeats)]
        translate = statistics.median(r[0] for r in runs)
        trace = statistics.median(r[1] for r in runs)
        checks = []
        for _ in range(3):
            start = time.perf_counter()
            twin.compare(lesson.code)
            checks.append(time.perf_counter() - start)
        total = translate + trace
        worst = max(worst, total)
        print(f"{lesson.name:<24}{translate * 1e3:>14.1f}{trace * 1e3:>10.1f}{total * 1e3:>9.1f}"
              f"{statistics.median(checks) * 1e3:>10.1f}  {'ok' if total < BUDGET_S else 'OVER'}")
    print(f"worst translate + trace: {worst * 1e3:.1f} ms (budget {BUDGET_S * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
