"""Each op's value and gradient in the tf.function twin (``twin.op_values``, the
``twin_values`` job), checked against values and derivatives worked out by hand with numpy;
node ids are those of the twin graph the page draws."""
from __future__ import annotations

import numpy as np
import pytest

from explorer import grad_paint, lessons, linked
from explorer.graph import Graph

pytest.importorskip("tensorflow")
from explorer.capture import tf_values  # noqa: E402
from explorer.twin import check, op_values  # noqa: E402

TANH = """import torch

w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)


def inputs():
    return (torch.tensor([1.0, 2.0, 3.0]),)


def forward(x):
    y = torch.tanh(x * w)
    return y.sum()
"""


def test_values_and_gradients_of_each_op_match_the_hand_derivation():
    result = op_values.nodes_of(TANH)
    assert result["status"] == "ok" and result["valued"]
    nodes = result["nodes"]
    x, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    mul, tanh = x * w, np.tanh(x * w)
    for op, (value, grad) in {"mul": (mul, 1 - tanh ** 2), "Tanh": (tanh, np.ones(3))}.items():
        forward, [dgot] = nodes[op]["forward"], nodes[op]["grad_in"]
        assert forward["shape"] == [3] and np.allclose(forward["value"], value, atol=1e-6), op
        assert np.isclose(forward["mean"], value.mean()) and np.isclose(forward["max"],
                                                                        value.max())
        assert np.allclose(dgot["value"], grad, atol=1e-6), op
        assert np.isclose(dgot["norm"], np.linalg.norm(grad), atol=1e-6)
    assert nodes["Sum"]["forward"]["value"] == pytest.approx([tanh.sum()], abs=1e-6)
    assert nodes["Sum"]["grad_in"][0]["value"] == [1.0]
    assert nodes["mul/ReadVariableOp"]["forward"]["value"] == [0.5, -1.0, 2.0]  # w itself


def test_the_if_op_carries_its_branch_result_with_the_page_graphs_ids():
    code = lessons.default().code
    page = Graph.from_json(check.compare(code)["graph"])  # the graph the page draws
    result = op_values.nodes_of(code)
    nodes = result["nodes"]
    assert set(nodes) <= {n.id for n in page.nodes}  # node_grads.nodes checks the same
    cond = next(n for n in page.nodes if n.op in ("If", "StatelessIf"))
    total = next(nodes[n.id]["forward"]["value"][0] for n in page.nodes
                 if n.op == "Sum" and any(e.src == cond.id or e.src.startswith(f"{cond.id}/")
                                          for e in page.inputs_of().get(n.id, [])))
    got = nodes[cond.id]["forward"]
    assert got["mean"] * np.prod(got["shape"]) == pytest.approx(total, rel=1e-5)
    assert total == pytest.approx(page.output["value"][0], rel=1e-5)  # the checked output
    assert np.allclose(nodes[cond.id]["grad_in"][0]["value"], 1.0)  # d sum / d its input
    forward = {n: e["forward"] for n, e in nodes.items()}
    assert linked.value_lines(page, forward)[cond.id][0].startswith("\u03bc ")
    assert grad_paint.grad_lines(page, nodes)[cond.id][0].startswith("\u2207")
    fills, legend = grad_paint.grad_fills(page, nodes)
    assert cond.id in fills and legend


def test_nested_inputs_and_a_while_loop_give_values():
    """A list of sequences as forward's argument (flattened as the graph takes it)."""
    result = op_values.nodes_of(lessons.get("variable_length_rnn").code)
    assert result["status"] == "ok" and result["nodes"], result
    whiles = [e for e in result["nodes"].values() if e["op"] in ("While", "StatelessWhile")]
    assert all(e["forward"]["shape"] is not None for e in whiles)


def test_a_graph_past_the_limit_gets_none(monkeypatch):
    monkeypatch.setattr(tf_values, "MAX_OPS", 3)
    result = op_values.nodes_of(TANH)
    assert result == {"status": "ok", "nodes": {}, "valued": False}


def test_code_without_a_twin_says_so():
    result = op_values.nodes_of(lessons.get("custom_function").code)
    assert result["status"] == "no-twin" and result["message"]
