"""capture.tf checked against TensorFlow's own view of a traced graph: its operations, their
inputs and control inputs, and the functions control-flow ops name. Functions here are
written in TensorFlow directly, so these tests do not depend on the translation."""
from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from explorer.capture.tf import capture, set_outputs  # noqa: E402
from explorer.graph import Graph  # noqa: E402

WEIGHT = tf.Variable(tf.ones((3, 3)))


def branchy(x):
    if tf.reduce_sum(x) > 0:
        y = tf.matmul(x, WEIGHT)
    else:
        y = tf.matmul(tf.matmul(x, WEIGHT), WEIGHT)
    return tf.reduce_sum(y)


def nested(x):
    h = x
    while tf.reduce_sum(h) > 1.0:
        if tf.reduce_max(h) > 2.0:
            h = h * 0.5
        else:
            h = h * 0.75
    return h, tf.reduce_sum(h)


def traced(fn, *args):
    concrete = tf.function(fn).get_concrete_function(*args)
    return concrete, capture(concrete, ["x"], [(WEIGHT, "layer.weight")])


@pytest.fixture(scope="module")
def branchy_graph():
    return traced(branchy, tf.ones((2, 3)))


@pytest.fixture(scope="module")
def nested_graph():
    return traced(nested, tf.constant([4.0, 3.0]))


def ids_by_tf_name(graph: Graph) -> dict[str, str]:
    return {n.attrs.get("tf_name", n.id): n.id for n in graph.nodes if n.kind != "output"}


def test_one_node_per_op(branchy_graph) -> None:
    concrete, graph = branchy_graph
    operations = concrete.graph.get_operations()
    names = ids_by_tf_name(graph)
    assert sorted(names) == sorted(op.name for op in operations)
    for op in operations:
        node = graph.node(names[op.name])
        assert node.op == op.type or node.kind in ("input", "param")
    assert graph.count("output") == len(concrete.graph.outputs)


def test_data_and_control_edges_are_tfs_own(branchy_graph) -> None:
    concrete, graph = branchy_graph
    names = ids_by_tf_name(graph)
    expected = set()
    for op in concrete.graph.get_operations():
        expected |= {(names[t.op.name], names[op.name], "data") for t in op.inputs}
        expected |= {(names[c.name], names[op.name], "control") for c in op.control_inputs}
    got = {(e.src, e.dst, e.kind) for e in graph.edges if graph.node(e.dst).kind != "output"}
    assert got == expected
    assert any(kind == "control" for _, _, kind in got)


def test_captured_variable_and_argument_take_their_names(branchy_graph) -> None:
    _, graph = branchy_graph
    weight = graph.node("layer.weight")
    assert (weight.kind, weight.shape, weight.dtype) == ("param", [3, 3], "float32")
    assert graph.node("x").kind == "input" and graph.node("x").shape == [2, 3]


def test_if_links_both_branch_functions(branchy_graph) -> None:
    concrete, graph = branchy_graph
    [op] = [o for o in concrete.graph.get_operations() if o.type in ("If", "StatelessIf")]
    node = graph.node(op.name)
    assert node.attrs["functions"] == {"then_branch": op.get_attr("then_branch").name,
                                       "else_branch": op.get_attr("else_branch").name}
    assert node.attrs["subgraphs"] == {"then_branch": "cond_true", "else_branch": "cond_false"}
    library = {f.signature.name: f for f in concrete.graph.as_graph_def().library.function}
    for key, name in node.attrs["subgraphs"].items():
        sub, fn = graph.subgraphs[name], library[node.attrs["functions"][key]]
        assert sub.count("op") == len(fn.node_def)
        assert sub.count("output") == len(fn.signature.output_arg)
        arguments = len(fn.signature.input_arg)
        assert len(sub.nodes) == len(fn.node_def) + arguments + sub.count("output")
    then = graph.subgraphs[node.attrs["subgraphs"]["then_branch"]]
    assert sum(n.op == "MatMul" for n in then.nodes) == 1
    # the branch argument fed by the variable is drawn as that parameter
    assert [n.label for n in then.nodes if n.kind == "param"] == ["layer.weight"]


def test_nested_control_flow_nests_subgraphs(nested_graph) -> None:
    concrete, graph = nested_graph
    assert graph.lint() == []
    [loop] = [n for n in graph.nodes if n.op in ("While", "StatelessWhile")]
    assert set(loop.attrs["subgraphs"]) == {"cond", "body"}
    body = graph.subgraphs[loop.attrs["subgraphs"]["body"]]
    [inner] = [n for n in body.nodes if n.op in ("If", "StatelessIf")]
    assert set(inner.attrs["subgraphs"].values()) <= set(body.subgraphs)
    assert graph.count("output") == 2


def test_small_constants_keep_their_values(branchy_graph) -> None:
    concrete, graph = branchy_graph
    for op in concrete.graph.get_operations():
        if op.type == "Const":
            value = tf.make_ndarray(op.get_attr("value"))
            assert graph.node(op.name).attrs["value"] == value.reshape(-1).tolist()


def test_json_round_trip_and_outputs(nested_graph) -> None:
    concrete, graph = nested_graph
    h, total = concrete(tf.constant([4.0, 3.0]))
    set_outputs(graph, [h.numpy(), total.numpy()])
    assert graph.output["items"][1]["value"] == pytest.approx([float(total)])
    outputs = [n for n in graph.nodes if n.kind == "output"]
    assert outputs[0].attrs["value"]["value"] == pytest.approx(h.numpy().tolist())
    again = Graph.from_json(graph.to_json())
    assert again.to_json() == graph.to_json() and again.lint() == []
    expected = np.array([4.0, 3.0])  # the loop, in plain numpy
    while expected.sum() > 1.0:
        expected = expected * (0.5 if expected.max() > 2.0 else 0.75)
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("lesson, statement, ops", [
    ("data_dependent_if", "if x.sum() > 0:", ("If", "StatelessIf")),
    ("while_loop", "while h.norm() > 1:", ("While", "StatelessWhile")),
])
def test_control_flow_ops_know_the_line_they_came_from(lesson, statement, ops) -> None:
    from explorer import lessons, twin

    code = lessons.get(lesson).code
    line = next(i for i, text in enumerate(code.splitlines(), 1) if statement in text)
    graph = Graph.from_json(twin.compare(code)["graph"])
    assert [n.attrs.get("line") for n in graph.nodes if n.op in ops] == [line]
