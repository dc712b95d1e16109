"""The gradients engine, in process, against independent truths: torch's own backward on a
fresh load of the same snippet, ``torch.autograd.grad`` of retained intermediates, the
graph's dependency order, byte counts worked out by hand, and hand-derived gradients."""
from __future__ import annotations

import json
import math

import pytest
import torch

from explorer import lessons, snippet
from explorer.capture.torch import capture
from explorer.gradients import flow, saved
from explorer.gradients.leaves import grad_leaves
from explorer.graph import Graph
from explorer.jobs import grads
from tests.conftest import SNIPPETS


def code_of(name: str) -> str:
    return (SNIPPETS / f"{name}.py").read_text()


def run(code: str, **request) -> dict:
    result = grads.run({"code": code, **request})
    assert result["status"] == "ok", result.get("message")
    return result


def reference(code: str, seed: int = 0, edit=None) -> dict[str, torch.Tensor | None]:
    """Torch's own answer: load the snippet again, optionally edit it, backward, read .grad."""
    program = snippet.load(code, seed=seed)
    if edit is not None:
        edit(program)
    program.run_forward()
    program.backward()
    return {leaf.name: leaf.tensor.grad for leaf in grad_leaves(program)}


def plain_error(code: str) -> snippet.SnippetError | None:
    """How a plain run (load, forward, backward) of the snippet fails, if it does."""
    try:
        reference(code)
    except snippet.SnippetError as err:
        return err
    return None


# Some lessons fail on purpose (a shape mismatch, a missing grad_fn): those are checked to
# fail in the grads job exactly as in a plain run, the others to agree with torch.
FAILING = {lesson.name for lesson in lessons.all_lessons() if plain_error(lesson.code)}
PRESETS = [pytest.param(lesson.code, id=f"lesson-{lesson.name}")
           for lesson in lessons.all_lessons() if lesson.name not in FAILING]
SNIPPET_FILES = [pytest.param(p.read_text(), id=p.stem) for p in sorted(SNIPPETS.glob("*.py"))
                 if not plain_error(p.read_text())]


def op_order(graph: Graph, op: str) -> list[str]:
    """Ids of the nodes running ``op``, in the order forward created them."""
    return [n.id for n in graph.nodes if n.op == op]


# -- leaf gradients ----------------------------------------------------------------------

@pytest.mark.parametrize("code", PRESETS + SNIPPET_FILES)
def test_leaf_gradients_are_torchs_own(code):
    result, expected = run(code), reference(code)
    assert set(result["leaves"]) == set(expected)
    for name, leaf in result["leaves"].items():
        grad = expected[name]
        assert leaf["used"] == (grad is not None)
        if grad is None:
            assert leaf["grad"] is None and leaf["norm"] is None
            continue
        assert torch.equal(torch.tensor(leaf["grad"], dtype=grad.dtype), grad), name
        assert leaf["shape"] == list(grad.shape)
        assert leaf["norm"] == pytest.approx(grad.norm().item(), rel=1e-6)
        assert (leaf["min"], leaf["max"]) == (grad.min().item(), grad.max().item())


@pytest.mark.parametrize("name", sorted(FAILING))
def test_a_snippet_that_fails_fails_as_a_plain_run_does(name):
    code = lessons.get(name).code
    expected = plain_error(code)
    result = grads.run({"code": code})
    assert result["status"] == "error"
    assert (result["message"], result["line"], result["hint"]) == \
        (expected.message, expected.line, expected.hint)


def test_values_are_left_out_above_ten_thousand_elements():
    code = ("import torch\nbig = torch.randn(101, 100, requires_grad=True)\n"
            "small = torch.randn(100, 100, requires_grad=True)\n"
            "def inputs():\n    return (torch.ones(1),)\n"
            "def forward(x):\n    return (big.sum() + small.sum()) * x\n")
    leaves = run(code)["leaves"]
    assert leaves["big"]["grad"] is None and leaves["big"]["norm"] == pytest.approx(
        math.sqrt(101 * 100))  # d/d big of big.sum() * 1 is all ones
    assert len(leaves["small"]["grad"]) == 100 and leaves["small"]["grad"][0][0] == 1.0


# -- order and per-node gradients -------------------------------------------------------

@pytest.mark.parametrize("code", PRESETS + SNIPPET_FILES)
def test_every_node_runs_once_after_every_node_that_feeds_it_gradient(code):
    result = run(code)
    graph = Graph.from_json(result["graph"])
    ops = {n.id for n in graph.nodes if n.kind == "op"}
    assert sorted(result["order"]) == sorted(ops)  # each autograd node ran exactly once
    step = {node_id: k for k, node_id in enumerate(result["order"])}
    for edge in graph.edges:  # forward edge src -> dst: gradient flows dst -> src
        if edge.src in ops and edge.dst in ops:
            assert step[edge.dst] < step[edge.src], (edge.src, edge.dst)
    assert all(result["nodes"][n]["step"] == k for n, k in step.items())


def test_node_gradients_match_autograd_grad_of_the_intermediates():
    code = code_of("grads_chain")
    result = run(code)
    graph = Graph.from_json(result["graph"])
    program = snippet.load(code)
    (out,) = program.run_forward()
    kept = program.namespace["_kept"]
    x, w = program.args[0], program.namespace["w"]
    da, db, dc, dw, dx = torch.autograd.grad(out, [kept["a"], kept["b"], kept["c"], w, x])
    mul, scale = op_order(graph, "MulBackward0")  # a = w * x, then c = b * 3
    (tanh,), (total,) = op_order(graph, "TanhBackward0"), op_order(graph, "SumBackward0")
    nodes = result["nodes"]
    expected = {total: dc, scale: db, tanh: da}  # each sends back the gradient of its input
    for node_id, grad in expected.items():
        assert nodes[node_id]["grad_norm"] == pytest.approx(grad.norm().item(), rel=1e-6)
    assert nodes[mul]["grad_norm"] == pytest.approx(
        math.hypot(dw.norm().item(), dx.norm().item()), rel=1e-6)
    assert nodes[tanh]["grad_in"][0]["norm"] == pytest.approx(db.norm().item(), rel=1e-6)
    assert nodes[tanh]["grad_out"][0]["min"] == pytest.approx(da.min().item(), rel=1e-6)
    edges = {(e["src"], e["dst"]): e["grad_norm"] for e in result["edges"]}
    assert edges[(tanh, scale)] == pytest.approx(db.norm().item(), rel=1e-6)
    assert edges[("w", "w.grad_acc")] == pytest.approx(dw.norm().item(), rel=1e-6)
    assert edges[(total, "output")] == 1.0  # backward's seed: d out / d out


def test_a_tensor_used_twice_sends_the_sum_of_its_two_gradients():
    code = ("import torch\nw = torch.randn(3, requires_grad=True)\n"
            "def inputs():\n    return (torch.ones(1),)\n"
            "def forward(x):\n    return (w * w).sum() * x\n")
    result = run(code)
    graph = Graph.from_json(result["graph"])
    w = snippet.load(code).namespace["w"]
    (square,) = [n for n in op_order(graph, "MulBackward0")
                 if result["nodes"][n]["grad_out"][0]["to"] == "w.grad_acc"]
    assert result["nodes"][square]["grad_norm"] == pytest.approx((2 * w).norm().item())


def test_vanishing_and_exploding_gradients_are_flagged():
    leaves = run(code_of("grads_flags"))["leaves"]
    assert leaves["tiny"]["norm"] == pytest.approx(2e-9, rel=1e-5)  # 1e-9 per element
    assert leaves["huge"]["norm"] == pytest.approx(2e4, rel=1e-6)   # 1e4 per element
    assert (leaves["tiny"]["flag"], leaves["huge"]["flag"]) == ("vanishing", "exploding")
    nodes = run(code_of("grads_flags"))["nodes"]
    assert nodes["tiny.grad_acc"]["flag"] == "vanishing"
    assert nodes["huge.grad_acc"]["flag"] == "exploding"


# -- saved tensors -----------------------------------------------------------------------

def test_saved_bytes_of_a_linear_layer_and_tanh_worked_out_by_hand():
    result = run(code_of("grads_linear_tanh"))
    graph = Graph.from_json(result["graph"])
    (addmm,), (tanh,) = op_order(graph, "AddmmBackward0"), op_order(graph, "TanhBackward0")
    # addmm(bias, x, W^T) keeps x (4x3 float32 = 48 bytes) for W's gradient and W^T (3x2 =
    # 24 bytes, a view of the weight) for x's; tanh keeps its result (4x2 = 32 bytes).
    assert result["nodes"][addmm]["saved_bytes"] == 48 + 24
    assert result["nodes"][tanh]["saved_bytes"] == 32
    assert sum(n["saved_bytes"] for n in result["nodes"].values()) == 104
    assert result["saved_bytes"] == 104
    assert result["saved"] == {"total_bytes": 104, "leaf_bytes": 72, "activation_bytes": 32,
                               "tensors": 3, "storages": 3}


@pytest.mark.parametrize("code", PRESETS + SNIPPET_FILES)
def test_saved_bytes_per_node_agree_with_the_saved_tensors_capture_lists(code):
    result = run(code)
    for node in Graph.from_json(result["graph"]).nodes:
        if node.kind == "op":
            listed = sum(s["bytes"] for s in node.attrs.get("saved", []))
            assert result["nodes"][node.id]["saved_bytes"] == listed, node.id


def test_a_weight_saved_by_two_nodes_counts_once_in_the_total():
    code = ("import torch\nw = torch.randn(3, 3, requires_grad=True)\n"
            "def inputs():\n    return (torch.randn(2, 3, requires_grad=True),)\n"
            "def forward(x):\n    return (x @ w).sum() + (x @ w).sum()\n")
    result = run(code)
    graph = Graph.from_json(result["graph"])
    for mm in op_order(graph, "MmBackward0"):  # each keeps x (24 bytes) and w (36 bytes)
        assert result["nodes"][mm]["saved_bytes"] == 24 + 36
    assert result["saved_bytes"] == 24 + 36


def test_in_place_after_save_still_fails_as_torch_fails():
    code = code_of("grads_inplace_after_save")
    with pytest.raises(snippet.SnippetError) as plain:
        reference(code)
    result = grads.run({"code": code})
    assert result["status"] == "error" and "modified by an inplace operation" in result["message"]
    assert result["hint"] == plain.value.hint and result["graph"]["framework"] == "torch"


def test_the_saved_tensor_hooks_keep_autograds_in_place_check():
    """Saved-tensor hooks switch off torch's own version check; ours must stand in for it."""
    program = snippet.load(code_of("grads_linear_tanh"))
    outputs = program.run_forward()
    named = program.leaves()
    fn_ids = flow.node_ids(capture(outputs, named), outputs)
    saved.measure(fn_ids, [leaf.tensor for leaf in named])
    with torch.no_grad():
        program.args[0].mul_(2)  # x is kept by addmm for the weight's gradient
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        outputs[0].backward()


# -- live edits --------------------------------------------------------------------------

LESSON = lessons.default().code


def test_param_element_changes_exactly_that_element():
    edit = {"name": "linear_layer.weight", "index": [0, 3], "value": 0.5}
    result = run(LESSON, param_element=edit)

    def by_hand(program):
        with torch.no_grad():
            program.namespace["linear_layer"].weight[0, 3] = 0.5

    program = snippet.load(LESSON)
    by_hand(program)
    (out,) = program.run_forward()
    assert result["graph"]["output"]["value"][0] == pytest.approx(out.item(), rel=1e-6)
    assert result["graph"]["output"]["value"][0] != pytest.approx(run(LESSON)["graph"]["output"]
                                                                  ["value"][0], rel=1e-6)
    for name, grad in reference(LESSON, edit=by_hand).items():
        assert torch.equal(torch.tensor(result["leaves"][name]["grad"]), grad)


def test_input_scale_and_input_element_apply_in_that_order():
    code = code_of("grads_chain")
    result = run(code, input_scale=2.0, input_element={"name": "x", "index": [1], "value": -3.0})

    def by_hand(program):
        with torch.no_grad():
            program.args[0].mul_(2.0)
            program.args[0][1] = -3.0

    for name, grad in reference(code, edit=by_hand).items():
        assert torch.equal(torch.tensor(result["leaves"][name]["grad"]), grad)
    assert result["leaves"]["w"]["grad"] != run(code)["leaves"]["w"]["grad"]


@pytest.mark.parametrize("request_fields, words", [
    ({"param_element": {"name": "nope", "index": [0], "value": 1}}, "linear_layer.weight"),
    ({"param_element": {"name": "linear_layer.weight", "index": [0], "value": 1}}, "[10, 10]"),
    ({"param_element": {"name": "linear_layer.bias", "index": [10], "value": 1}}, "[10]"),
    ({"input_element": {"name": "x", "index": [0, 0], "value": "big"}}, "finite number"),
    ({"input_element": {"name": "linear_layer.bias", "index": [0], "value": 1}}, "Known: x"),
    ({"input_scale": float("nan")}, "finite number"),
    ({"gradcheck": {"per_lef": 3}}, "per_leaf"),
])
def test_bad_edits_are_refused_with_a_clear_message(request_fields, words):
    result = grads.run({"code": LESSON, **request_fields})
    assert result["status"] == "error" and result["error_type"] == "EditError"
    assert words in result["message"]


def test_an_integer_input_takes_only_integral_values():
    code = code_of("capture_integer_input")  # tokens = [1, 4, 4, 9] index an embedding
    edit = {"name": "tokens", "index": [0], "value": 0.5}
    bad = grads.run({"code": code, "input_element": edit})
    assert bad["status"] == "error" and "is not one" in bad["message"]
    result = run(code, input_element={**edit, "value": 4})  # now rows 4, 4, 4, 9
    row_grads = result["leaves"]["embedding.weight"]["grad"]
    assert row_grads[1] == [0.0] * 3 and row_grads[4] == [3.0] * 3 and row_grads[9] == [1.0] * 3


# -- finite differences ------------------------------------------------------------------

# Lessons whose gradients are not the derivative on purpose, and what the check must say.
NOT_THE_DERIVATIVE = {"custom_function"}  # a straight-through round: true derivative 0


@pytest.mark.parametrize("code", [pytest.param(lesson.code, id=f"lesson-{lesson.name}")
                                  for lesson in lessons.all_lessons()
                                  if lesson.name not in NOT_THE_DERIVATIVE | FAILING]
                         + [pytest.param(code_of(n), id=n) for n in (
                             "grads_chain", "grads_cube", "grads_linear_tanh",
                             "example_rnn_two_lengths")])
def test_gradcheck_passes_for_correct_gradients(code):
    check = run(code, gradcheck=True)["gradcheck"]
    assert check["ok"] is True and check["complete"] and check["checked"] > 0
    assert check["max_abs_error"] < check["atol"]


def test_gradcheck_fails_a_straight_through_estimator():
    """round() has derivative 0 wherever it is defined; the lesson's backward passes 1."""
    check = run(lessons.get("custom_function").code, gradcheck=True)["gradcheck"]
    assert check["ok"] is False
    assert all(l["worst"]["numeric"] == 0.0 for l in check["leaves"].values())


def test_gradcheck_names_leaves_behind_detach_and_no_grad_as_cut():
    """Their nudges move the output, but autograd has no path to them (the lesson)."""
    check = run(lessons.get("detach_no_grad").code, gradcheck=True)["gradcheck"]
    assert check["ok"] is True
    assert sorted(check["cut"]) == ["detached.bias", "detached.weight",
                                    "unrecorded.bias", "unrecorded.weight"]
    assert all(check["leaves"][name]["reached"] is False for name in check["cut"])


def test_gradcheck_fails_a_custom_backward_that_forgets_a_factor():
    check = run(code_of("grads_cube_wrong"), gradcheck=True)["gradcheck"]
    assert check["ok"] is False and check["leaves"]["w"]["ok"] is False
    worst = check["leaves"]["w"]["worst"]
    # d/dw (w x)^3 = 3 (w x)^2 x; the wrong backward returns a third of it.
    assert worst["numeric"] == pytest.approx(3 * worst["autograd"], rel=1e-4)


def test_gradcheck_counts_what_it_checked():
    check = run(LESSON, gradcheck={"per_leaf": 7})["gradcheck"]
    assert {k: (v["checked"], v["elements"]) for k, v in check["leaves"].items()} == \
        {"linear_layer.weight": (7, 100), "linear_layer.bias": (7, 10)}
    assert (check["checked"], check["elements"]) == (14, 110)
    again = run(LESSON, gradcheck={"per_leaf": 7})["gradcheck"]
    assert again["leaves"]["linear_layer.weight"]["worst"] == \
        check["leaves"]["linear_layer.weight"]["worst"]  # the same elements every time


def test_gradcheck_checks_the_edited_point():
    """An edit moves the point; the check must differentiate there, not at the original."""
    edit = {"name": "w", "index": [0], "value": 2.0}
    check = run(code_of("grads_cube"), param_element=edit, gradcheck=True)["gradcheck"]
    program = snippet.load(code_of("grads_cube"))
    x = program.args[0].double()
    # d/dw0 sum((w x)^3) = 3 (w0 x0)^2 x0 at w0 = 2
    expected = 3 * (2.0 * x[0]) ** 2 * x[0]
    rows = check["leaves"]["w"]
    assert rows["checked"] == 5 and check["ok"] is True
    assert run(code_of("grads_cube"), param_element=edit)["leaves"]["w"]["grad"][0] == \
        pytest.approx(expected.item(), rel=1e-5)


def test_gradcheck_stops_at_its_time_budget():
    check = run(LESSON, gradcheck={"budget_s": 0.0})["gradcheck"]
    assert check["complete"] is False and check["checked"] == 0 and check["ok"] is None


def test_infinite_gradients_are_flagged_and_the_json_stays_strict():
    code = ("import torch\nw = torch.zeros(3, requires_grad=True)\n"
            "def inputs():\n    return (torch.ones(1),)\n"
            "def forward(x):\n    return torch.sqrt(w).sum() * x\n")
    result = run(code)
    json.dumps(result, allow_nan=False)  # raises on a bare NaN or Infinity
    # d sqrt(w) / dw = 1 / (2 sqrt(w)) is +infinity at w = 0
    assert result["leaves"]["w"]["grad"] == ["inf"] * 3
    assert result["leaves"]["w"]["flag"] == "nonfinite"
    graph = Graph.from_json(result["graph"])
    (sqrt,) = op_order(graph, "SqrtBackward0")
    assert result["nodes"][sqrt]["flag"] == "nonfinite"
