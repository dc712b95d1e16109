"""torch.export's view against torch.export itself: the exported program's ops equal those of
a program exported here by hand (the same model, or the torch.cond version written by hand);
a refusal names the user's line; the rewrite is the hand-written torch.cond code and agrees
with eager."""
from __future__ import annotations

import ast

import pytest
import torch
import torch.nn as nn

from explorer import lessons, snippet
from explorer.graph import Graph
from explorer.modes import cond_rewrite
from explorer.modes import export as export_mode

RUNNABLE = [lesson for lesson in lessons.all_lessons() if not lesson.teaches_error]


def aten_ops(ep: torch.export.ExportedProgram) -> list[str]:
    found = []
    for gm in ep.graph_module.modules():
        if isinstance(gm, torch.fx.GraphModule):
            found += [str(n.target) if isinstance(n.target, torch._ops.OpOverload)
                      else n.target.__name__ for n in gm.graph.nodes if n.op == "call_function"]
    return found


def line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def test_a_module_exports_with_the_ops_torch_export_gives_it() -> None:
    code = lessons.get("module_parameters").code
    view = export_mode.view(code)
    assert view["status"] == "ok"
    program = snippet.load(code)
    model = program.namespace["model"]
    by_hand = torch.export.export(model, program.args)
    # the snippet's forward is model(x).sum(): the model's ops, then the sum
    assert view["ops"] == aten_ops(by_hand) + ["aten.sum.default"]
    graph = Graph.from_json(view["graph"])
    assert graph.lint() == []
    assert {n.label for n in graph.nodes if n.kind == "param"} == {
        f"model.{name}" for name, _ in model.named_parameters()}
    assert view["check"]["equivalent"] is True


def test_the_data_dependent_if_is_refused_at_its_line_and_rewritten_with_cond() -> None:
    code = lessons.default().code
    view = export_mode.view(code)
    line = line_of(code, "if x.sum() > 0")
    assert view["status"] == "unsupported" and view["line"] == line
    assert view["message"].startswith(f"line {line}: `if x.sum() > 0:`")
    assert "torch.cond" in view["message"] and "GuardOnDataDependent" not in view["message"]
    assert "GuardOnDataDependentSymNode" in view["error_type"] + view["torch_message"]
    # the rewrite exports as the torch.cond version written by hand does
    layer = nn.Linear(10, 10)

    def forward(x):
        def true_fn(x):
            return (layer(x),)

        def false_fn(x):
            return (layer(layer(x)),)
        (y,) = torch.cond(x.sum() > 0, true_fn, false_fn, (x,))
        return y.sum()

    class ByHand(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            return forward(x)

    by_hand = torch.export.export(ByHand(), (torch.randn(1, 10),))
    rewrite = view["rewrite"]
    assert rewrite["status"] == "ok"
    assert sorted(rewrite["ops"]) == sorted(aten_ops(by_hand))
    graph = Graph.from_json(rewrite["graph"])
    assert graph.lint() == []
    cond = next(n for n in graph.nodes if n.op == "cond")
    assert set(cond.attrs["subgraphs"]) == {"true_fn", "false_fn"}
    arms = {role: [n.op for n in graph.subgraphs[name].nodes if n.kind == "op"]
            for role, name in cond.attrs["subgraphs"].items()}
    assert arms == {"true_fn": ["aten.linear.default"],
                    "false_fn": ["aten.linear.default", "aten.linear.default"]}
    assert rewrite["check"]["equivalent"] is True
    assert rewrite["check"]["checked"] == ["linear_layer.bias", "linear_layer.weight"]


def test_the_while_loop_becomes_while_loop_with_its_tensor_held_as_a_constant() -> None:
    code = lessons.get("while_loop").code
    view = export_mode.view(code)
    assert view["line"] == line_of(code, "while h.norm() > 1")
    rewrite = view["rewrite"]
    graph = Graph.from_json(rewrite["graph"])
    loop = next(n for n in graph.nodes if n.op == "while_loop")
    body = graph.subgraphs[loop.attrs["subgraphs"]["body_fn"]]
    cond = graph.subgraphs[loop.attrs["subgraphs"]["cond_fn"]]
    assert [n.op for n in body.nodes if n.kind == "op"] == ["aten.mul.Tensor"]
    assert [n.op for n in cond.nodes if n.kind == "op"] == ["aten.linalg_vector_norm.default",
                                                            "aten.gt.Scalar"]
    check = rewrite["check"]
    assert check["equivalent"] and check["max_abs_diff_output"] == 0.0
    assert "shrink" in check["unchecked"] and "held as constants" in check["message"]


def test_the_rewrite_is_the_hand_written_cond_code() -> None:
    code = "import torch\n\ndef forward(x):\n    h = x * 2\n    if h.sum() > 0:\n" \
           "        h = h + 1\n    else:\n        h = h - 1\n    return h.sum()\n"
    expected = '''import torch

def forward(x):
    h = x * 2

    def true_fn_5(h):
        h = h + 1
        return (h,)

    def false_fn_5(h):
        h = h - 1
        return (h,)
    h, = torch.cond(h.sum() > 0, true_fn_5, false_fn_5, (h,))
    return h.sum()
'''
    assert ast.dump(ast.parse(cond_rewrite.rewrite(code, 5))) == ast.dump(ast.parse(expected))


def test_an_if_that_returns_takes_the_rest_as_its_else() -> None:
    code = ("import torch\n\ndef forward(x):\n    if x.sum() > 0:\n        return x.sum()\n"
            "    return (x * 2).sum()\n")
    text = cond_rewrite.rewrite(code, 4)
    ns: dict = {}
    exec(compile(text, "<t>", "exec"), ns)
    for x in (torch.ones(3), -torch.ones(3)):
        assert torch.equal(ns["forward"](x), x.sum() if x.sum() > 0 else (x * 2).sum())


def test_a_variable_set_in_one_arm_only_is_a_readable_refusal() -> None:
    code = "def forward(x):\n    if x.sum() > 0:\n        y = x\n    return x\n"
    with pytest.raises(cond_rewrite.CannotRewrite, match="line 2: y is set in one arm only"):
        cond_rewrite.rewrite(code, 2)


def test_the_users_edit_of_the_rewrite_is_exported_instead() -> None:
    code = lessons.default().code
    first = export_mode.view(code)
    edited = first["cond_code"].replace("return (y,)", "return (y * 2,)")
    assert edited.count("y * 2") == 2
    view = export_mode.view(code, export_code=edited)
    assert view["cond_code"] == edited
    assert view["rewrite"]["ops"].count("aten.mul.Tensor") == 2
    # checked against eager on the original code: the edit doubled the output
    assert view["rewrite"]["check"]["equivalent"] is False


@pytest.mark.slow
@pytest.mark.parametrize("lesson", RUNNABLE, ids=lambda lesson: lesson.name)
def test_every_lesson_exports_or_says_why_at_a_line(lesson) -> None:
    view = export_mode.view(lesson.code)
    if view["status"] == "ok":
        assert Graph.from_json(view["graph"]).lint() == []
        assert view["check"]["status"] == "ok"
    else:
        assert view["line"] and view["message"].startswith(f"line {view['line']}")
        assert view.get("rewrite") or view.get("rewrite_problem")
