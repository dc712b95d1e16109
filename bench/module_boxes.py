"""Modules as boxes: what grouping and clusters cost. For an unrolled RNN (a cell called once
per step) and a 6-layer nn.TransformerEncoder: the time of ``module_calls`` + ``collapse``,
and dot's time to an SVG without module clusters, with every call open (nested clusters),
and closed to depth 0 (one box per top-level call), in the full and rolled views. Run by hand:
``.venv/bin/python bench/module_boxes.py [--steps 100 1000]``; times are inflated by load:
compare the columns of one row (same process, same graph).
"""
from __future__ import annotations

import argparse
import time

from render_rnn import RNN  # the render benchmark's RNN (bench/ is on sys.path)

from explorer import execution, render
from explorer import render_modules as rm

TRANSFORMER = """
import torch
import torch.nn as nn

layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0,
                                   batch_first=True)
encoder = nn.TransformerEncoder(layer, num_layers=6, enable_nested_tensor=False)


def inputs():
    return (torch.randn(2, 5, 16),)


def forward(x):
    return encoder(x).sum()
"""


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def row(name: str, code: str, views: tuple[str, ...]) -> list[dict]:
    graph = execution.execute(code, backward=False).graph
    calls, calls_s = timed(lambda: rm.module_calls(graph))
    out = []
    for view in views:
        entry = {"graph": name, "nodes": len(graph.nodes), "calls": len(calls.calls),
                 "view": view, "group_s": calls_s}
        for label, drawn in (("plain", lambda: graph),
                             ("open", lambda: rm.collapse(graph, None, calls=calls)),
                             ("depth0", lambda: rm.collapse(graph, 0, calls=calls))):
            model, collapse_s = timed(drawn)
            dot, dot_s = timed(lambda: render.to_dot(model, view))
            _, svg_s = timed(lambda: render.run_dot(dot, "svg", timeout=600))
            entry[f"{label}_s"] = round(collapse_s + dot_s + svg_s, 3)
        out.append(entry)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    rows = row("transformer x6", TRANSFORMER, ("full",))
    for steps in args.steps:
        rows += row(f"rnn {steps} steps", RNN.format(steps=steps), ("full", "rolled"))
    keys = list(rows[0])
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(f"{r[k]:.3f}" if isinstance(r[k], float) else str(r[k]) for k in keys))


if __name__ == "__main__":
    main()
