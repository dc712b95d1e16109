"""``python -m explorer graph S --format json``: every op knows its line and module call.

The expectations are written by hand from reading each lesson: which line makes which ops,
inside which module call. A line is named by a piece of its text, so the lessons may move.
Torch: a module lesson, a loop lesson and a recursion lesson; TensorFlow: the loop lesson's
While body (the cell's MatMul and bias add inside ``cell``, the ``+ h`` and the Tanh outside)
and the nested modules of tests/test_origin.py.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from explorer.__main__ import main
from explorer.graph import Graph
from tests.test_origin import MODULES

LESSONS = Path(__file__).resolve().parent.parent / "explorer" / "lessons"


def line_of(text: str, fragment: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(lines) == 1, fragment
    return lines[0]


def graph_of(path: Path, tmp_path: Path, framework: str = "torch") -> dict:
    out = tmp_path / f"{framework}.json"
    assert main(["graph", str(path), "--framework", framework, "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert Graph.from_json(data).lint() == []
    return data


def origins(graph: dict) -> Counter:
    """(op, line, module) of every op but AccumulateGrad, counted."""
    return Counter((n["op"], n["attrs"].get("line"), n["attrs"].get("module"))
                   for n in graph["nodes"] if n["kind"] == "op" and n["op"] != "AccumulateGrad")


def test_module_lesson(tmp_path):
    path = LESSONS / "05_module_parameters.py"
    text = path.read_text()
    inner, outer = line_of(text, "return self.layer2("), line_of(text, "return model(x).sum()")
    assert origins(graph_of(path, tmp_path)) == Counter({
        ("TBackward0", inner, "model.layer1"): 1, ("AddmmBackward0", inner, "model.layer1"): 1,
        ("ReluBackward0", inner, "model.activation"): 1,
        ("TBackward0", inner, "model.layer2"): 1, ("AddmmBackward0", inner, "model.layer2"): 1,
        ("SumBackward0", outer, None): 1})


@pytest.mark.slow
def test_loop_lesson_torch_and_tf(tmp_path):
    path = LESSONS / "03_variable_length_rnn.py"
    text = path.read_text()
    step, total = line_of(text, "h = torch.tanh(cell(x_t) + h)"), line_of(text, ".sum() for")
    torch_graph = graph_of(path, tmp_path)
    got = origins(torch_graph)
    steps = got[("TanhBackward0", step, None)]  # both sequences' lengths, drawn by the seed
    assert steps >= 2 and got == Counter({
        ("TBackward0", step, "cell"): steps, ("AddmmBackward0", step, "cell"): steps,
        ("AddBackward0", step, None): steps, ("TanhBackward0", step, None): steps,
        ("SumBackward0", total, None): 2})
    assert torch_graph["modules"]["cell"] == {"type": "Linear", "in": [[1, 4]], "calls": steps,
                                              "out": [[1, 4]]}
    tf_graph = graph_of(path, tmp_path, "tf")
    bodies = [sub for name, sub in tf_graph["subgraphs"].items() if name.endswith("_body")]
    assert len(bodies) == 2  # one While per sequence, whatever its length
    for body in bodies:
        ops = {n["op"]: (n["attrs"].get("line"), n["attrs"].get("module"))
               for n in body["nodes"] if n["kind"] == "op" and n["op"] in (
                   "MatMul", "AddV2", "Tanh")}
        assert ops["MatMul"] == (step, "cell") and ops["Tanh"] == (step, None)
        adds = Counter((n["attrs"].get("line"), n["attrs"].get("module"))
                       for n in body["nodes"] if n["op"] == "AddV2")
        assert adds[(step, "cell")] == 1 and adds[(step, None)] == 1  # bias; + h
    # every op but the Identity/NoOp tf.function adds around the returned values
    assert {n["op"] for n in tf_graph["nodes"] if n["kind"] == "op"
            and "line" not in n["attrs"]} <= {"Identity", "NoOp"}


def test_recursion_lesson(tmp_path):
    path = LESSONS / "04_tree_recursion.py"
    text = path.read_text()
    pair, word = line_of(text, "return torch.tanh(merge("), line_of(text, "return embed(tree)")
    total = line_of(text, "return encode(tree).sum()")
    got = origins(graph_of(path, tmp_path))
    merges = got[("TanhBackward0", pair, None)]  # one per pair of the seed's tree
    assert merges >= 1 and got == Counter({
        ("EmbeddingBackward0", word, "embed"): merges + 1,  # a binary tree: leaves = pairs + 1
        ("CatBackward0", pair, None): merges, ("TBackward0", pair, "merge"): merges,
        ("AddmmBackward0", pair, "merge"): merges, ("TanhBackward0", pair, None): merges,
        ("SumBackward0", total, None): 1})


@pytest.mark.slow
def test_tf_ops_of_nested_modules():
    from explorer.jobs import tf_graph  # in this process: the CLI's path is tested above
    graph = tf_graph.run({"code": MODULES})["graph"]
    assert Graph.from_json(graph).lint() == []
    ops = [n for n in graph["nodes"] if n["kind"] == "op"]
    assert Counter((n["op"], n["attrs"].get("module")) for n in ops if n["op"] in (
        "MatMul", "Tanh")) == Counter({("MatMul", "model.0.fc"): 1, ("MatMul", "model.1.fc"): 1,
                                       ("MatMul", "head"): 1, ("Tanh", "model.0.act"): 1,
                                       ("Tanh", "model.1.act"): 1})
    residual = Counter(n["attrs"].get("module") for n in ops
                       if n["op"] == "AddV2" and n["attrs"].get("line") == 13)
    assert residual == Counter({"model.0": 1, "model.1": 1})  # self.act(h) + x, in each Block
    assert all(n["attrs"].get("module") is None for n in ops if n["attrs"].get("line") == 27)


@pytest.mark.slow
def test_tf_ops_of_a_transformer_layer_name_its_feed_forward_linears():
    """The twin's layer computes its feed-forward with linear1's and linear2's weights (one
    MatMul each, without calling them); their ops still carry their paths, as in torch's
    graph: linear1's MatMul and bias add, the layer's own ReLU, then linear2's."""
    from explorer.jobs import tf_graph
    from tests.test_module_boxes import TRANSFORMER
    ops = [n for n in tf_graph.run({"code": TRANSFORMER})["graph"]["nodes"] if n["kind"] == "op"]
    found = Counter((n["op"], n["attrs"].get("module")) for n in ops
                    if n["op"] in ("BatchMatMulV2", "Relu", "AddV2"))
    for linear in ("layer.linear1", "layer.linear2"):
        assert found[("BatchMatMulV2", linear)] == 1 and found[("AddV2", linear)] == 1
    assert found[("Relu", "layer")] == 1
    assert found[("BatchMatMulV2", "layer.self_attn")] == 4  # in_proj, scores, x values, out_proj


def test_steps_and_modules_round_trip_and_lint():
    graph = Graph.from_json({
        "framework": "torch", "steps": [{"line": 3, "module": None}],
        "modules": {"fc": {"type": "Linear", "in": [[1, 2]], "out": [[1, 2]], "calls": 1}},
        "nodes": [{"id": "a", "kind": "op", "op": "TBackward0",
                   "attrs": {"line": 3, "step": 0, "module": "fc"}}], "edges": []})
    assert Graph.from_json(json.loads(graph.dumps())).to_json() == graph.to_json()
    assert graph.to_json()["steps"] == [{"line": 3, "module": None}] and graph.lint() == []
    graph.nodes[0].attrs.update(line=0, step=1, module="gc")
    assert graph.lint() == ["node 'a' has line 0, not a positive int",
                            "node 'a' has step 1 outside the run's steps",
                            "node 'a' names unknown module 'gc'"]
    assert "steps" not in Graph(framework="tf").to_json()


def test_gradients_page_graph_knows_its_lines():
    """The Gradients page's graph (the grads job's engine) carries attrs.line as the
    Explorer's does, so its backward stepper can shade a step's line: the default lesson's
    t and addmm come from ``y = linear_layer(x)``, the sum from ``return y.sum()``."""
    from explorer import lessons, snippet
    from explorer.gradients import engine

    code = lessons.get("data_dependent_if").code
    result = engine.inspect(snippet.load(code, seed=0))
    layer = line_of(code, "if x.sum() > 0") + 1  # the taken arm's one call (seed 0)
    total = line_of(code, "return y.sum()")
    assert origins(result["graph"]) == Counter({
        ("TBackward0", layer, "linear_layer"): 1, ("AddmmBackward0", layer, "linear_layer"): 1,
        ("SumBackward0", total, None): 1})
    assert result["order"][0] == "sum"  # the stepper's first node: the output's


def test_the_twins_if_holds_the_lines_of_its_arms():
    """The default lesson's If holds the lines of both of its arms."""
    from explorer import lessons, linked, twin

    code = lessons.default().code
    graph = Graph.from_json(twin.compare(code)["graph"])
    held = linked.held_lines(graph)
    arms = [i for i, text in enumerate(code.splitlines(), 1)
            if "linear_layer(" in text and "=" in text and "nn.Linear" not in text]
    cond = next(n.id for n in graph.nodes if n.op == "If")
    assert set(arms) <= set(held[cond]) and len(arms) == 3
    assert all(cond in linked.nodes_of_line(graph, line) for line in held[cond])
