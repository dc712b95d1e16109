"""Capture checked against torch itself: hand-written expectations per snippet, torchviz's
independent walk of the same autograd graph, and the saved tensors autograd exposes."""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
import torchviz

from explorer import snippet
from explorer.capture.torch import Leaf, capture
from explorer.graph import Graph
from tests.conftest import SNIPPETS

ALL = sorted(SNIPPETS.glob("*.py"))


def captured(path: Path, seed: int = 0) -> tuple[snippet.Program, list[torch.Tensor], Graph]:
    program = snippet.load(path.read_text(), seed=seed)
    outputs = program.run_forward()
    return program, outputs, capture(outputs, program.leaves())


def ops(graph: Graph) -> Counter:
    return Counter(n.op for n in graph.nodes if n.kind == "op" and n.op != "AccumulateGrad")


# Written by hand from the code of each snippet: the autograd ops it must record
# (AccumulateGrad aside) and its leaves with their kinds.
EXPECTED = {
    "capture_while": ({"MulBackward0": 4, "SumBackward0": 1}, {"w": "param", "x": "input"}),
    "capture_tree": ({"CatBackward0": 1, "TBackward0": 2, "AddmmBackward0": 2,
                      "TanhBackward0": 2, "SumBackward0": 1},
                     {"combine.weight": "param", "combine.bias": "param"}),
    "capture_shared": ({"TBackward0": 3, "MmBackward0": 3, "SumBackward0": 1},
                       {"layer.weight": "param", "x": "input"}),
    "capture_detach": ({"TBackward0": 1, "AddmmBackward0": 1, "SumBackward0": 1},
                       {"second.weight": "param", "second.bias": "param"}),
    "capture_inplace": ({"MulBackward0": 2, "CopySlices": 1, "SumBackward0": 1},
                        {"w": "param", "x": "input"}),
    "capture_multi_output": ({"TBackward0": 1, "AddmmBackward0": 1, "MeanBackward0": 1,
                              "PowBackward0": 1, "SumBackward0": 1},
                             {"layer.weight": "param", "layer.bias": "param", "x": "input"}),
    "capture_integer_input": ({"EmbeddingBackward0": 1, "SumBackward0": 1},
                              {"embedding.weight": "param", "tokens": "input"}),
    "capture_broadcast": ({"MulBackward0": 1, "AddBackward0": 1, "SumBackward0": 1},
                          {"scale": "param", "bias": "param", "x": "input"}),
    "capture_module": ({"TBackward0": 2, "AddmmBackward0": 2, "ReluBackward0": 1,
                        "SumBackward0": 1},
                       {"model.layer1.weight": "param", "model.layer1.bias": "param",
                        "model.layer2.weight": "param", "model.layer2.bias": "param",
                        "x": "input"}),
    "capture_custom_function": ({"AddBackward0": 1, "SquareBackward": 1, "SumBackward0": 1},
                                {"w": "param"}),
    "capture_no_grad": ({"AddBackward0": 1, "SumBackward0": 1}, {"w": "param"}),
    "capture_nested_inputs": ({"MulBackward0": 1, "AddBackward0": 1, "SumBackward0": 1},
                              {"w": "param", "batch['a']": "input"}),
    "example_rnn_two_lengths": ({"TBackward0": 8, "AddmmBackward0": 8, "ViewBackward0": 8,
                                 "AddBackward0": 10, "TanhBackward0": 8, "SumBackward0": 2},
                                {"cell.weight": "param", "cell.bias": "param",
                                 "sequences[0]": "input", "sequences[1]": "input"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ops_and_leaves_match_the_hand_written_expectation(name):
    _, _, graph = captured(SNIPPETS / f"{name}.py")
    expected_ops, expected_leaves = EXPECTED[name]
    assert ops(graph) == Counter(expected_ops)
    assert {n.id: n.kind for n in graph.nodes if n.kind in ("param", "input", "const")} \
        == expected_leaves
    assert graph.lint() == []


def torchviz_structure(outputs: list[torch.Tensor]) -> tuple[Counter, set[tuple[str, str]]]:
    """torchviz's own walk: the labels of its grad_fn boxes and the edges between them."""
    dot = torchviz.make_dot(tuple(outputs) if len(outputs) > 1 else outputs[0])
    labels, edges = {}, set()
    for line in dot.body:
        node = re.match(r'\s*(\d+) \[label=(.*?)\]', line)
        edge = re.match(r'\s*(\d+) -> (\d+)', line)
        if node and "fillcolor" not in line:
            labels[node.group(1)] = node.group(2).strip('"')
        elif edge:
            edges.add((edge.group(1), edge.group(2)))
    fn_edges = {(labels[a], labels[b]) for a, b in edges if a in labels and b in labels}
    return Counter(labels.values()), fn_edges


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_capture_agrees_with_torchviz(path):
    _, outputs, graph = captured(path)
    labels, fn_edges = torchviz_structure(outputs)
    assert Counter(n.op for n in graph.nodes if n.kind == "op") == labels
    nodes = graph.by_id()
    ours = {(nodes[e.src].op, nodes[e.dst].op) for e in graph.edges
            if e.kind == "data" and nodes[e.src].kind == "op" and nodes[e.dst].kind == "op"}
    assert ours == fn_edges


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_edges_are_next_functions(path):
    """Every op node's data inputs are exactly its autograd Node's next_functions."""
    _, outputs, graph = captured(path)
    by_seq = {n.attrs["sequence_nr"]: n.id for n in graph.nodes if "sequence_nr" in n.attrs}
    incoming = graph.inputs_of()
    seen, stack = set(), [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if fn in seen or fn.name().endswith("AccumulateGrad"):
            continue
        seen.add(fn)
        node_id = by_seq[fn._sequence_nr()]
        expected = {by_seq.get(nxt._sequence_nr(), "acc") if not nxt.name().endswith(
            "AccumulateGrad") else "acc" for nxt, _ in fn.next_functions if nxt is not None}
        got = {e.src if graph.node(e.src).op != "AccumulateGrad" else "acc"
               for e in incoming[node_id] if e.kind == "data"}
        assert got == expected, node_id
        stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    assert len(seen) == len(by_seq)


def test_shapes_dtypes_and_devices_are_those_of_the_forward_tensors():
    _, outputs, graph = captured(SNIPPETS / "capture_broadcast.py")
    add = next(n for n in graph.nodes if n.op == "AddBackward0")
    assert (add.shape, add.dtype, add.device) == ([3, 4], "float32", "cpu")
    assert graph.node("scale").shape == [3, 1] and graph.node("bias").shape == [4]
    tokens = captured(SNIPPETS / "capture_integer_input.py")[2].node("tokens")
    assert (tokens.dtype, tokens.shape) == ("int64", [4])
    assert graph.output["value"] == [pytest.approx(outputs[0].item())]


def test_branch_taken_is_the_one_the_data_chose():
    program, _, graph = captured(SNIPPETS / "capture_branch.py")
    layer = program.namespace["layer"]
    positive = bool(layer(torch.ones(1, 4)).sum() > 0)
    assert ("ReluBackward0" in ops(graph)) is positive
    assert ("SigmoidBackward0" in ops(graph)) is not positive


def test_different_seeds_build_different_graphs_for_a_data_dependent_if():
    """The lesson of the course: the graph is defined by the run."""
    path = SNIPPETS / "example_if_twice.py"
    counts = set()
    for seed in range(6):
        program, _, graph = captured(path, seed)
        positive = bool(program.args[0].sum() > 0)
        assert ops(graph)["AddmmBackward0"] == (1 if positive else 2)
        counts.add(ops(graph)["AddmmBackward0"])
    assert counts == {1, 2}


def test_saved_tensors_are_listed_with_shapes_and_tied_to_leaves_by_identity():
    _, outputs, graph = captured(SNIPPETS / "capture_shared.py")
    mms = [n for n in graph.nodes if n.op == "MmBackward0"]
    first = mms[0]  # layer(x): saves x itself (self) for the weight's gradient
    saved = {s["name"]: s for s in first.attrs["saved"]}
    assert saved["self"]["shape"] == [2, 3] and saved["self"]["leaf"] == "x"
    assert saved["self"]["bytes"] == 2 * 3 * 4
    # The later products save intermediate results, which are no leaf.
    for mm in mms[1:]:
        assert all("leaf" not in s for s in mm.attrs["saved"])
    assert {"x"} == {e.src for e in graph.edges if e.kind == "saved"}


def test_saved_views_of_an_input_point_at_that_input():
    _, _, graph = captured(SNIPPETS / "example_rnn_two_lengths.py")
    saved = [s for n in graph.nodes for s in n.attrs.get("saved", []) if s.get("view")]
    assert len(saved) == 8 and {s["leaf"] for s in saved} == {"sequences[0]", "sequences[1]"}


def test_custom_function_saved_tensors_are_listed():
    _, _, graph = captured(SNIPPETS / "capture_custom_function.py")
    square = next(n for n in graph.nodes if n.op == "SquareBackward")
    assert [s["shape"] for s in square.attrs["saved"]] == [[3]]


def test_multiple_outputs_are_several_roots():
    _, outputs, graph = captured(SNIPPETS / "capture_multi_output.py")
    outs = [n for n in graph.nodes if n.kind == "output"]
    assert [o.id for o in outs] == ["output", "output_1"]
    feeding = {e.dst: graph.node(e.src).op for e in graph.edges if e.dst in ("output", "output_1")}
    assert feeding == {"output": "MeanBackward0", "output_1": "SumBackward0"}
    assert [i["value"][0] for i in graph.output["items"]] == pytest.approx(
        [o.item() for o in outputs])


def test_node_ids_are_readable_and_deterministic():
    first = captured(SNIPPETS / "example_rnn_two_lengths.py")[2]
    again = captured(SNIPPETS / "example_rnn_two_lengths.py")[2]
    assert [n.id for n in first.nodes] == [n.id for n in again.nodes]
    ids = [n.id for n in first.nodes if n.op == "TanhBackward0"]
    assert ids == ["tanh"] + [f"tanh_{i}" for i in range(1, 8)]  # in the order they ran
    assert first.node("cell.weight.grad_acc").op == "AccumulateGrad"


def test_user_names_win_over_op_names():
    """An input called ``t`` keeps its name; the transpose op becomes ``t_1``."""
    code = (SNIPPETS / "example_if_twice.py").read_text().replace("forward(x)", "forward(t)") \
        .replace("x.sum()", "t.sum()").replace("linear_layer(x)", "linear_layer(t)")
    program = snippet.load(code)
    graph = capture(program.run_forward(), program.leaves())
    assert graph.node("t").kind == "input"
    assert graph.node("t_1").op == "TBackward0"


def test_output_without_grad_fn_is_a_lone_output_node():
    program = snippet.load("import torch\ndef inputs():\n    return torch.ones(2)\n"
                           "def forward(x):\n    return x * 2\n")
    graph = capture(program.run_forward(), program.leaves())
    assert [n.kind for n in graph.nodes] == ["output"] and graph.edges == []
    assert graph.output["value"] == [2.0, 2.0]


def test_ten_thousand_step_chain_does_not_hit_the_recursion_limit():
    code = ("import torch\nw = torch.ones(1, requires_grad=True)\n"
            "def inputs():\n    return torch.ones(1)\n"
            "def forward(x):\n    h = x * w\n    for _ in range(10_000):\n        h = h * 1.0\n"
            "    return h.sum()\n")
    program = snippet.load(code)
    graph = capture(program.run_forward(), [Leaf("w", "param", program.namespace["w"])])
    assert ops(graph)["MulBackward0"] == 10_001
    assert len(graph.topological_order()) == len(graph.nodes)
    assert graph.lint() == []
    assert sys.getrecursionlimit() < 10_000  # the walk above would have overflowed recursion
