"""The graph model: JSON round trip, topological order, lint, readable names."""
from __future__ import annotations

import json

import pytest

from explorer.graph import Edge, Graph, Namer, Node, snake

HAND_WRITTEN = """
{"framework": "torch",
 "nodes": [
  {"id": "w", "kind": "param", "op": "", "label": "w", "shape": [3], "dtype": "float32",
   "device": "cpu", "attrs": {}},
  {"id": "w.grad_acc", "kind": "op", "op": "AccumulateGrad", "label": "AccumulateGrad",
   "shape": [3], "dtype": "float32", "device": "cpu", "attrs": {}},
  {"id": "mul", "kind": "op", "op": "MulBackward0", "label": "MulBackward0", "shape": [3],
   "dtype": "float32", "device": "cpu", "attrs": {"saved": [{"name": "self", "shape": [3]}]}},
  {"id": "output", "kind": "output", "op": "", "label": "output", "shape": [3],
   "dtype": "float32", "device": "cpu", "attrs": {}}],
 "edges": [{"src": "w", "dst": "w.grad_acc", "kind": "data"},
           {"src": "w.grad_acc", "dst": "mul", "kind": "data"},
           {"src": "mul", "dst": "output", "kind": "data"}],
 "subgraphs": {},
 "output": {"shape": [3], "value": [1.0, 2.0, 3.0]}}
"""


def test_json_round_trip_is_exact():
    data = json.loads(HAND_WRITTEN)
    graph = Graph.from_json(data)
    assert graph.to_json() == data
    assert Graph.loads(graph.dumps()).to_json() == data


def test_round_trip_keeps_subgraphs():
    inner = Graph("tf", nodes=[Node("a", "op", op="Identity")])
    outer = Graph("tf", nodes=[Node("if", "op", op="If",
                                    attrs={"subgraphs": {"then_branch": "then_fn"}})],
                  subgraphs={"then_fn": inner})
    again = Graph.loads(outer.dumps())
    assert again.subgraphs["then_fn"].nodes[0].op == "Identity"
    assert again.lint() == []


def test_topological_order_puts_sources_first_and_keeps_node_order_on_ties():
    graph = Graph("torch", nodes=[Node(i, "op", op="X") for i in "dcba"],
                  edges=[Edge("a", "b"), Edge("c", "b"), Edge("b", "d")])
    assert graph.topological_order() == ["c", "a", "b", "d"]


def test_topological_order_reports_a_cycle():
    graph = Graph("torch", nodes=[Node("a", "op", op="X"), Node("b", "op", op="X")],
                  edges=[Edge("a", "b"), Edge("b", "a")])
    with pytest.raises(ValueError, match="cycle"):
        graph.topological_order()


def test_lint_accepts_a_well_formed_graph():
    assert Graph.loads(HAND_WRITTEN).lint() == []


@pytest.mark.parametrize("break_it, problem", [
    (lambda g: g.nodes.append(Node("w", "param")), "duplicate node id 'w'"),
    (lambda g: g.edges.append(Edge("w", "nowhere")), "names missing node 'nowhere'"),
    (lambda g: g.nodes.append(Node("z", "banana")), "unknown kind 'banana'"),
    (lambda g: g.nodes.append(Node("z", "op")), "op node 'z' names no op"),
    (lambda g: g.edges.append(Edge("mul", "w.grad_acc")), "cycle"),
    (lambda g: g.edges.append(Edge("w", "w.grad_acc")), "duplicate edge"),
    (lambda g: g.nodes[2].attrs.update(subgraphs={"body": "gone"}), "missing subgraph 'gone'"),
    (lambda g: setattr(g.nodes[0], "shape", [3.5]), "not a list of ints"),
])
def test_lint_finds_each_defect(break_it, problem):
    graph = Graph.loads(HAND_WRITTEN)
    break_it(graph)
    assert any(problem in p for p in graph.lint()), graph.lint()


def test_namer_numbers_like_torch_fx():
    namer = Namer()
    assert [namer.name(b) for b in ["mul", "mul", "add", "mul", "mul_1"]] == \
        ["mul", "mul_1", "add", "mul_2", "mul_1_1"]


def test_snake_case_of_autograd_names():
    assert [snake(n) for n in ["Addmm", "NativeLayerNorm", "T", "CopySlices", "MSELoss"]] == \
        ["addmm", "native_layer_norm", "t", "copy_slices", "mse_loss"]
