"""TorchScript's view against torch.jit itself: the scripted graph's nodes and blocks as
torch.jit.script gives them here, the deprecation told, the trace's TracerWarning at the
user's line, and the trace's replays against the branch each input takes."""
from __future__ import annotations

import pytest
import torch

from explorer import lessons, snippet
from explorer.graph import Graph
from explorer.modes import torchscript

RUNNABLE = [lesson for lesson in lessons.all_lessons() if not lesson.teaches_error]

LOOP = '''import torch


def inputs():
    return (torch.randn(3, requires_grad=True) * 4,)


def forward(x):
    h = x
    while h.norm() > 1:
        h = h * 0.5
    return h.sum()
'''


def line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def kinds(block) -> list[str]:
    return [n.kind() for n in block.nodes()]


def test_the_if_is_a_prim_if_with_torchs_own_blocks() -> None:
    code = lessons.default().code
    view = torchscript.view(code)
    assert view["deprecated"] is True and "deprecated" in view["script"]["deprecation"]
    graph = Graph.from_json(view["script"]["graph"])
    assert graph.lint() == []
    scripted = torch.jit.script(snippet.load(code).forward)
    assert [n.op for n in graph.nodes if n.kind in ("op", "const")] == kinds(scripted.graph)
    node = next(n for n in graph.nodes if n.op == "prim::If")
    assert node.attrs["line"] == line_of(code, "if x.sum() > 0")
    torch_if = next(n for n in scripted.graph.nodes() if n.kind() == "prim::If")
    blocks = list(torch_if.blocks())
    for role, block in zip(("then_block", "else_block"), blocks):
        sub = graph.subgraphs[node.attrs["subgraphs"][role]]
        assert [n.op for n in sub.nodes if n.kind == "op"] == kinds(block)
    assert view["script"]["check"]["equivalent"] is True


def test_a_while_on_a_tensor_is_a_prim_loop() -> None:
    view = torchscript.view(LOOP)
    graph = Graph.from_json(view["script"]["graph"])
    loop = next(n for n in graph.nodes if n.op == "prim::Loop")
    body = graph.subgraphs[loop.attrs["subgraphs"]["body"]]
    assert "aten::mul" in [n.op for n in body.nodes]
    assert "aten::norm" in [n.op for n in body.nodes]  # the test runs again in the body
    assert view["script"]["check"]["equivalent"] is True


def test_the_trace_warns_at_the_if_and_replays_one_path() -> None:
    code = lessons.default().code
    view = torchscript.view(code, input_seeds=(1, 2, 3, 4))
    trace = view["trace"]
    line = line_of(code, "if x.sum() > 0")
    assert any(w["line"] == line and "Python boolean" in w["message"] for w in trace["warnings"])
    assert not any(n["op"] == "prim::If" for n in trace["graph"]["nodes"])
    program = snippet.load(code)
    base = bool(program.args[0].sum() > 0)
    for replay in trace["replays"]:
        snippet.seed_everything(replay["input_seed"])
        arm = bool(program.namespace["inputs"]()[0].sum() > 0)
        assert replay["same_as_eager"] == (arm == base), replay


def test_a_global_tensor_is_a_readable_reason_at_its_line() -> None:
    code = lessons.get("while_loop").code
    view = torchscript.view(code)
    line = line_of(code, "h = h * shrink")
    for part in (view["script"], view["trace"]):
        assert part["status"] == "unsupported" and part["line"] == line
        assert part["message"].startswith(f"line {line}: `h = h * shrink`")
    assert view["status"] == "unsupported"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", RUNNABLE, ids=lambda lesson: lesson.name)
def test_every_lesson_scripts_traces_or_says_why(lesson) -> None:
    view = torchscript.view(lesson.code)
    for part in (view["script"], view["trace"]):
        if part["status"] == "ok":
            assert Graph.from_json(part["graph"]).lint() == []
        else:
            assert part["message"] and "Traceback" not in part["message"]


GATE = '''import torch
import torch.nn as nn


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(3, 3)

    def forward(self, x):
        h = self.inner(x)
        if h.sum() > 0:
            h = torch.relu(h)
        for _ in range(2):
            h = h * 0.5
        return h


class Pythonic(nn.Module):
    def forward(self, x):
        return sum(t for t in [x, x])


net = Gate()
other = Pythonic()


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    return net(x).sum() + other(x).sum()
'''


def test_a_module_the_snippet_holds_is_scripted_inside_its_call() -> None:
    """Its class's forward, as torch.jit.script compiles it here (inlined: the Linear's
    aten::linear, the if and the for); a class TorchScript refuses stays Python, with why."""
    view = torchscript.view(GATE)
    part = view["script"]
    assert part["modules"][0] == {"name": "net", "class": "Gate", "status": "ok"}
    refused = part["modules"][1]
    assert refused["name"] == "other" and refused["status"] == "unsupported"
    assert refused["message"].startswith(f"line {line_of(GATE, 'return sum(t for t')}")
    graph = Graph.from_json(part["graph"])
    assert graph.lint() == [] and part["python_ops"] == 1  # Pythonic, back in Python
    call = next(n for n in graph.nodes if n.attrs.get("module") == "net")
    assert call.op == "prim::PythonOp" and call.label == "net: Gate (scripted)"
    inner = graph.subgraphs[call.attrs["subgraphs"]["forward"]]
    theirs = torch.jit.script(snippet.load(GATE).namespace["net"]).inlined_graph
    assert [n.op for n in inner.nodes if n.kind in ("op", "const")] == kinds(theirs)
    lines = {n.op: n.attrs.get("line") for n in inner.nodes if n.op in ("prim::If", "prim::Loop")}
    assert lines == {"prim::If": line_of(GATE, "if h.sum() > 0"),
                     "prim::Loop": line_of(GATE, "for _ in range(2)")}
    assert part["check"]["equivalent"] is True
    assert {"net.inner.weight", "net.inner.bias"} <= set(part["check"]["checked"])


def test_a_scripted_module_runs_its_torchscript_with_the_same_parameters() -> None:
    program = snippet.load(GATE)
    net = program.namespace["net"]
    modules, _told = torchscript.script_modules(program)
    assert isinstance(net.forward, torch.ScriptMethod) and modules[id(net)][0] == "net"
    compiled = modules[id(net)][1]
    assert compiled.inner.weight is net.inner.weight  # gradients land on the user's leaves
    x = program.args[0]
    got = net(x)
    reference = torch.nn.functional.linear(x, net.inner.weight, net.inner.bias)
    reference = (torch.relu(reference) if float(reference.sum()) > 0 else reference) * 0.25
    assert torch.allclose(got, reference)


def test_a_custom_function_is_refused_at_its_apply_and_traced_as_a_python_op() -> None:
    """torch.jit.script itself refuses the lesson's forward; its trace holds one PythonOp
    (the Function) and agrees with eager, as the reason says."""
    code = lessons.get("custom_function").code
    with pytest.raises(Exception, match="is a built-in"):
        torch.jit.script(snippet.load(code).forward)
    view = torchscript.view(code)
    line = line_of(code, "RoundThrough.apply(")
    assert view["script"]["line"] == line
    assert view["script"]["message"].startswith(f"line {line}: `steps = RoundThrough.apply(")
    assert "prim::PythonOp" in view["script"]["message"]
    ops = [n.op for n in Graph.from_json(view["trace"]["graph"]).nodes]
    assert ops.count("prim::PythonOp") == 1 and view["trace"]["check"]["equivalent"] is True


def test_a_module_method_other_than_its_call_is_told_at_its_line() -> None:
    code = lessons.get("dropout_train_eval").code
    view = torchscript.view(code)
    line = next(i for i, text in enumerate(code.splitlines(), 1)
                if text.strip() == "model.train()")
    assert view["script"]["line"] == line
    assert view["script"]["message"].startswith(f"line {line}: `model.train()`: a scripted "
                                                "function reaches a module-level nn.Module")


def test_an_argument_typed_as_a_tensor_is_told_at_forwards_def() -> None:
    """torch.jit.script compiles the recursion lesson's forward, then refuses its tuple."""
    code = lessons.get("tree_recursion").code
    program = snippet.load(code)
    with pytest.raises(RuntimeError, match="for argument 'tree' but instead found type"):
        torch.jit.script(program.forward)(*program.args)
    view = torchscript.view(code)
    line = line_of(code, "def forward(")
    assert view["script"]["message"] == (
        f"line {line}: `def forward(tree):`: TorchScript typed the argument `tree` as a Tensor "
        "(it types an argument without an annotation so), and this input passes a tuple, so "
        "the scripted forward refuses it.")
