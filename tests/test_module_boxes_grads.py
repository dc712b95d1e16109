"""Gradients on the picture (explorer/grad_paint.py) against torch's own autograd: the
gradient printed in a node is d loss / d (that node's output), here from
``torch.autograd.grad`` on the snippet's tensors, recomputed in this test."""
from __future__ import annotations

import math

import torch

from explorer import grad_paint, render, snippet
from explorer.gradients import engine

MLP = '''import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def inputs():
    return torch.randn(3, 4)


def forward(x):
    return (model(x) ** 2).sum()
'''


def report():
    result = engine.inspect(snippet.load(MLP, seed=0))
    from explorer.graph import Graph
    return Graph.from_json(result["graph"]), result["nodes"]


def truth():
    """The snippet run by hand as the contract says (seed, module level, inputs, forward),
    keeping the intermediate tensors: their gradients from torch.autograd.grad."""
    torch.manual_seed(0)
    space: dict = {}
    exec(compile(MLP, "<snippet>", "exec"), space)
    x = space["inputs"]()
    model = space["model"]
    h1 = model[0](x)
    h2 = model[1](h1)
    out = model[2](h2)
    square = out ** 2
    loss = square.sum()
    names = ["addmm", "relu", "addmm_1", "pow"]
    tensors = [h1, h2, out, square]
    grads = torch.autograd.grad(loss, tensors + [model[0].weight], retain_graph=True)
    return dict(zip(names + ["model.0.weight"], grads))


def test_printed_gradients_are_torchs():
    graph, nodes = report()
    lines = grad_paint.grad_lines(graph, nodes)
    for name, grad in truth().items():  # to 3 significant digits, as printed
        mean, low, high = (f"{t.item():.3g}" for t in (grad.mean(), grad.min(), grad.max()))
        assert lines[name] == [f"\u2207 \u03bc {mean} [{low}, {high}]"], name
    assert lines["sum"] == ["\u2207 = 1"]  # d loss / d loss


def test_fill_follows_the_gradient_norm_on_a_log_scale():
    graph, nodes = report()
    norms = grad_paint.grad_norms(graph, nodes)
    for name, grad in truth().items():
        assert math.isclose(norms[name], grad.norm().item(), rel_tol=1e-5), name
    styles, legend = grad_paint.grad_fills(graph, nodes)
    ranked = sorted(norms, key=norms.get)
    fills = [grad_paint.FILLS.index(styles[n]["fillcolor"]) for n in ranked]
    assert fills == sorted(fills) and fills[0] == 0 and fills[-1] == len(grad_paint.FILLS) - 1
    low, high = min(norms.values()), max(norms.values())
    assert f"palest {low:.2g}" in legend and f"deepest {high:.2g}" in legend
    # the leaf shows its AccumulateGrad's fill and gradient (drawn in its place)
    dot = render.to_dot(graph, "full", decoration=render.Decoration(
        node_lines=grad_paint.grad_lines(graph, nodes), node_style=styles))
    weight = next(line for line in dot.splitlines() if line.startswith('  "model.0.weight" ['))
    assert styles["model.0.weight"]["fillcolor"] in weight and "\u2207 \u03bc" in weight


def test_a_closed_box_shows_its_results_gradient_and_fill():
    from explorer import render_modules as rm
    graph, nodes = report()
    view = rm.collapse(graph, depth=1)
    styles, _ = grad_paint.grad_fills(graph, nodes)
    deco = rm.decorate(view, render.Decoration(node_lines=grad_paint.grad_lines(graph, nodes),
                                               node_style=styles))
    grads = truth()
    for box, result in (("module:model.0#0", "addmm"), ("module:model.1#0", "relu"),
                        ("module:model.2#0", "addmm_1")):  # each Linear's / ReLU's output
        g = grads[result]
        mean, low, high = (f"{t.item():.3g}" for t in (g.mean(), g.min(), g.max()))
        assert deco.node_lines[box] == [f"\u2207 \u03bc {mean} [{low}, {high}]"], box
        assert deco.node_style[box]["fillcolor"] == styles[result]["fillcolor"]
    dot = render.to_dot(view, "full", decoration=deco)
    line = next(x for x in dot.splitlines() if x.strip().startswith('"module:model.0#0" ['))
    assert styles["addmm"]["fillcolor"] in line and "\u2207 \u03bc" in line
