"""torch.compile's view against torch's own APIs: the FX graphs' node counts and the break
count from ``torch._dynamo.explain`` (run here, apart from the view), the break's line found in
the code's text, recompilations against the branch each input takes, outputs and gradients
against eager."""
from __future__ import annotations

import pytest
import torch

from explorer import lessons, snippet
from explorer.graph import Graph
from explorer.modes import compile as compile_mode
from explorer.modes import draw

RUNNABLE = [lesson for lesson in lessons.all_lessons() if not lesson.teaches_error]

ITEM = '''import torch

w = torch.randn(4, requires_grad=True)


def inputs():
    return (torch.randn(4),)


def forward(x):
    scale = (x * w).sum().item()
    return (x * w * scale).sum()
'''
PRINT = '''import torch

w = torch.randn(3, requires_grad=True)


def inputs():
    return (torch.randn(3),)


def forward(x):
    h = x * w
    print("h is", h)
    return h.sum()
'''
RECURSION = '''import torch
import torch.nn as nn

layer = nn.Linear(3, 3)


def inputs():
    return (torch.randn(1, 3),)


def shrink(h, depth):
    if h.norm() < 1 or depth > 4:
        return h
    return shrink(torch.tanh(layer(h)) * 0.5, depth + 1)


def forward(x):
    return shrink(x * 3, 0).sum()
'''
MODULE_IF = '''import torch
import torch.nn as nn


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x):
        if x.mean() > 0:
            return self.a(x)
        return self.b(torch.relu(x))


gate = Gate()


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    return gate(x).sum()
'''
HELD_OUT = {"item": ITEM, "print": PRINT, "recursion": RECURSION, "module_if": MODULE_IF}


def line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def explained(code: str):
    program = snippet.load(code)
    with compile_mode.fresh_dynamo():
        return torch._dynamo.explain(program.forward)(*program.args)


def fx_ops(gm: torch.fx.GraphModule) -> int:
    """FX nodes that compute: not placeholders, the output, nor the get_attr of a body
    GraphModule (a custom Function's forward/backward, a cond's branches: subgraphs)."""
    children = dict(gm.named_children())
    return sum(1 for n in gm.graph.nodes if n.op not in ("placeholder", "output")
               and not (n.op == "get_attr" and n.target in children))


def test_the_default_lesson_breaks_once_at_its_if_in_plain_words() -> None:
    code = lessons.default().code
    view = compile_mode.view(code)
    truth = explained(code)
    graph = Graph.from_json(view["graph"])
    assert graph.lint() == []
    assert view["break_count"] == truth.graph_break_count == 1
    line = line_of(code, "if x.sum() > 0")
    assert [b["line"] for b in graph.graph_breaks] == [line]
    reason = graph.graph_breaks[0]["reason"]
    assert reason.startswith(f"line {line}: `if x.sum() > 0:` needs the tensor's value")
    assert "generic_jump" not in reason and "starts a new graph" in reason
    # one subgraph per FX graph, each with explain's own count of ops
    tops = [n for n in graph.nodes if n.op == "GraphModule"]
    assert len(tops) == truth.graph_count == 2
    for top, gm in zip(tops, truth.graphs):
        assert top.attrs["ops"] == fx_ops(gm)
        sub = graph.subgraphs[top.attrs["subgraphs"]["graph"]]
        assert [n.op for n in sub.nodes if n.kind == "op"] == [
            compile_mode.fx.op_name(n) for n in gm.graph.nodes
            if n.op not in ("placeholder", "output", "get_attr")]
    assert view["check"]["equivalent"] is True
    assert view["check"]["checked"] == ["linear_layer.bias", "linear_layer.weight"]
    assert {"x", "linear_layer.weight"} <= {g["name"] for g in view["guards"]}


def test_recompilations_follow_the_branch_each_input_takes() -> None:
    code = lessons.default().code
    program = snippet.load(code)
    base = bool(program.args[0].sum() > 0)
    seeds = (1, 2, 3, 4)
    view = compile_mode.view(code, input_seeds=seeds)
    taken = {base}
    for run, seed in zip(view["recompiles"], seeds):
        snippet.seed_everything(seed)
        arm = bool(program.namespace["inputs"]()[0].sum() > 0)
        # the other arm's graph is captured the first time an input takes it, then reused
        assert run["new_graphs"] == (0 if arm in taken else 1), (seed, arm)
        taken.add(arm)


@pytest.mark.slow
@pytest.mark.parametrize("lesson", RUNNABLE, ids=lambda lesson: lesson.name)
def test_every_lesson_gives_explains_graphs_and_breaks(lesson) -> None:
    view = compile_mode.view(lesson.code)
    truth = explained(lesson.code)
    graph = Graph.from_json(view["graph"])
    assert graph.lint() == []
    assert view["break_count"] == truth.graph_break_count
    assert len(graph.graph_breaks) == len(truth.break_reasons)
    assert [n.attrs["ops"] for n in graph.nodes] == [fx_ops(gm) for gm in truth.graphs]
    for brk in graph.graph_breaks:
        assert brk["reason"].startswith(f"line {brk['line']}")
    if "dropout" not in lesson.name:  # train-mode masks differ from one call to the next
        assert view["check"]["equivalent"], view["check"]


@pytest.mark.parametrize("name", list(HELD_OUT))
def test_held_out_snippets_break_where_torch_says(name: str) -> None:
    code = HELD_OUT[name]
    view = compile_mode.view(code)
    truth = explained(code)
    assert view["break_count"] == truth.graph_break_count
    lines = [f.lineno for r in truth.break_reasons for f in r.user_stack[-1:]]
    assert [b["line"] for b in view["graph"]["graph_breaks"]] == lines
    assert view["check"]["equivalent"], view["check"]
    if name == "item":
        assert lines == [line_of(code, ".item()")]
        assert ".item()" in view["graph"]["graph_breaks"][0]["reason"]
    if name == "print":
        assert lines == [line_of(code, "print(")]
        assert "print" in view["graph"]["graph_breaks"][0]["reason"]


def test_the_drawing_puts_a_break_marker_between_the_graphs() -> None:
    graph = Graph.from_json(compile_mode.view(lessons.default().code)["graph"])
    dot = draw.to_dot(graph)
    assert dot.count("subgraph \"cluster_graph_") == 2
    assert '"graph_break_0"' in dot and "line 12" in dot
