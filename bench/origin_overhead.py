"""What recording each node's origin (line, module, step, value) costs: forward + capture of
an unrolled RNN with ``origin.record`` around forward, against the same run without it, in
this process (no sandbox), alternating, best of N each. Run by hand:
``.venv/bin/python bench/origin_overhead.py [--steps 1000] [--repeat 5]``.
"""
from __future__ import annotations

import argparse
import contextlib
import time

from render_rnn import RNN  # the same RNN as the render benchmark (bench/ is on sys.path)

from explorer import execution
from explorer.capture import origin


@contextlib.contextmanager
def _no_record(namespace, tracer):
    yield None


def run_once(code: str, record: bool) -> float:
    saved = origin.record
    if not record:
        origin.record = _no_record
    try:
        start = time.perf_counter()
        run = execution.execute(code, backward=False)
        elapsed = time.perf_counter() - start
    finally:
        origin.record = saved
    assert (run.graph.nodes[-2].attrs.get("line") is not None) == record
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for steps in args.steps:
        code = RNN.format(steps=steps)
        run_once(code, True)  # warm up
        with_origin, without = [], []
        for _ in range(args.repeat):
            without.append(run_once(code, False))
            with_origin.append(run_once(code, True))
        print(f"{steps:>5} steps: run+capture {min(without):.3f} s, with origin "
              f"{min(with_origin):.3f} s ({min(with_origin) / min(without):.2f}x)")


if __name__ == "__main__":
    main()
