"""Full view of a 10,000-node graph: how long each way of drawing it takes. Run by hand:
``.venv/bin/python bench/big_graph.py [--steps 1000] [--dot-timeout 120]``.

The graph: the tf.function twin of a 1,000-step RNN over a Python ``range`` (AutoGraph
unrolls it: about 10 ops per step), and the torch graph of the same run. Candidates, each
timed in this process (no sandbox, no browser): ``layout_big.scene`` (the full view's layout
for the canvas viewer, pages/ui/bigview.js, and the size of what the browser receives),
Graphviz ``dot`` on the full graph (the SVG viewer's full view), ``dot`` on the rolled view
(repeated chains drawn once, the auto view). Time from Run to the drawn graphs and panning
frame times need the app and a browser: bench/big_view.py.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

from explorer import layout_big, render
from explorer.graph import Graph

RNN = """
import torch
import torch.nn as nn

cell = nn.Linear(10, 10)
STEPS = {steps}


def inputs():
    return (torch.randn(STEPS, 10),)


def forward(sequence):
    h = torch.zeros(1, 10)
    for i in range(STEPS):
        h = torch.tanh(cell(sequence[i]) + h)
    return h.sum()
"""


def graph_of(code: str, framework: str) -> tuple[Graph, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".py") as f:
        f.write(code)
        f.flush()
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "explorer", "graph", f.name, "--framework",
                              framework, "--timeout", "300"], capture_output=True, text=True,
                             timeout=600, check=True).stdout
    return Graph.from_json(json.loads(out)), time.perf_counter() - start


def timed_dot(graph: Graph, view: str, timeout: float) -> str:
    start = time.perf_counter()
    dot = render.to_dot(graph, view)
    to_dot_s = time.perf_counter() - start
    try:
        start = time.perf_counter()
        svg = render.run_dot(dot, "svg", timeout=timeout)
        return (f"to_dot {to_dot_s:.2f} s, dot {time.perf_counter() - start:.2f} s, "
                f"SVG {len(svg) / 1e6:.1f} MB")
    except render.RenderError as err:
        return f"to_dot {to_dot_s:.2f} s, dot failed or over {timeout:.0f} s ({err})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--dot-timeout", type=float, default=120.0)
    args = parser.parse_args()
    code = RNN.format(steps=args.steps)
    for framework in ("torch", "tf"):
        graph, run_s = graph_of(code, framework)
        size = len(graph.dumps()) / 1e6
        print(f"{framework}: {len(graph.nodes)} nodes, {len(graph.edges)} edges; CLI run "
              f"{run_s:.1f} s; JSON {size:.1f} MB", flush=True)
        start = time.perf_counter()
        scene = layout_big.scene(graph)
        took = time.perf_counter() - start
        print(f"  full, layout_big (the canvas viewer): {took:.2f} s, {len(scene['shapes'])} "
              f"shapes, {scene['width']:.0f} x {scene['height']:.0f} px, scene JSON "
              f"{len(json.dumps(scene, separators=(',', ':'))) / 1e6:.1f} MB", flush=True)
        for view in ("rolled", "full"):
            print(f"  {view}: {timed_dot(graph, view, args.dot_timeout)}", flush=True)


if __name__ == "__main__":
    main()
