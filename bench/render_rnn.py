"""Capture + render of an unrolled RNN at 100, 1,000 and 5,000 steps, full and rolled, next to
torchviz (make_dot + dot) on the same graphs. Run by hand: ``make bench`` or
``.venv/bin/python bench/render_rnn.py [--steps 100 1000] [--torchviz-timeout 60]``.

Budgets (DESIGN.md): 1,000 steps to a full SVG under 5 s, rolled under 0.5 s, on 2 cores.
Capture and rendering run in this process (no sandbox): this measures the engine alone.
"""
from __future__ import annotations

import argparse
import subprocess
import time

import torch
import torchviz

from explorer import render, snippet
from explorer.capture.torch import capture

RNN = """
import torch
import torch.nn as nn

cell = nn.Linear(10, 10)


def inputs():
    return (torch.randn({steps}, 10),)


def forward(sequence):
    h = torch.zeros(1, 10)
    for x_t in sequence:
        h = torch.tanh(cell(x_t) + h)
    return h.sum()
"""


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def ours(steps: int) -> dict:
    program = snippet.load(RNN.format(steps=steps))
    outputs = program.run_forward()
    graph, capture_s = timed(lambda: capture(outputs, program.leaves()))
    row = {"steps": steps, "nodes": len(graph.nodes), "capture_s": capture_s}
    for view in ("full", "rolled"):
        dot, dot_s = timed(lambda: render.to_dot(graph, view))
        svg, svg_s = timed(lambda: render.run_dot(dot, "svg", timeout=600))
        row[f"{view}_s"] = capture_s + dot_s + svg_s
        row[f"{view}_svg_kb"] = len(svg) // 1024
    return row


def torchviz_time(steps: int, timeout: float) -> float | None:
    """make_dot + dot -Tsvg on the same graph; None when dot ran past ``timeout``."""
    program = snippet.load(RNN.format(steps=steps))
    outputs = program.run_forward()
    params = dict(program.namespace["cell"].named_parameters())
    start = time.perf_counter()
    source = torchviz.make_dot(outputs[0], params=params).source
    try:
        subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True,
                       timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--torchviz-timeout", type=float, default=60.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'steps':>6} {'nodes':>6} {'capture':>8} {'full svg':>9} {'rolled':>8} "
          f"{'torchviz':>10} {'torchviz/full':>14}")
    torchviz_gave_up = False
    for steps in args.steps:
        row = ours(steps)
        if torchviz_gave_up:
            tv_text, ratio = "skipped", "-"
        else:
            tv = torchviz_time(steps, args.torchviz_timeout)
            torchviz_gave_up = tv is None
            tv_text = f"{tv:9.2f}s" if tv is not None else f">{args.torchviz_timeout:.0f}s"
            ratio = f"{tv / row['full_s']:13.1f}x" if tv is not None else \
                f">{args.torchviz_timeout / row['full_s']:12.0f}x"
        print(f"{steps:>6} {row['nodes']:>6} {row['capture_s']:7.3f}s {row['full_s']:8.2f}s "
              f"{row['rolled_s']:7.3f}s {tv_text:>10} {ratio:>14}")
    print("full/rolled: capture + DOT + dot -Tsvg; torchviz: make_dot + dot -Tsvg, "
          "killed at the timeout (larger sizes then skipped).")


if __name__ == "__main__":
    main()
