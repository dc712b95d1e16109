"""explorer.linked: a line's nodes (control-flow ops holding them too), lines, search; on a
hand-written graph."""
from __future__ import annotations

from explorer import linked
from explorer.graph import Graph, Node


def op(node_id: str, name: str, line: int | None = None, **attrs) -> Node:
    if line is not None:
        attrs["line"] = line
    return Node(id=node_id, kind="op", op=name, label=name, attrs=attrs)


def graph() -> Graph:
    branch = Graph(framework="tf", nodes=[op("MatMul", "MatMul", 13, module="fc"),
                                          op("deep", "If", 12, subgraphs={"then": "inner"})],
                   subgraphs={"inner": Graph(framework="tf", nodes=[op("Tanh", "Tanh", 14)])})
    return Graph(framework="tf", subgraphs={"then": branch}, nodes=[
        Node(id="fc.weight", kind="param", label="fc.weight", attrs={"line": 13}),
        op("Sum", "Sum", 12), op("If", "If", 12, subgraphs={"then_branch": "then"}),
        op("Sum_1", "Sum", 17, module="head", module_type="Linear"),
        op("fc.weight.grad_acc", "AccumulateGrad")])


def test_nodes_of_a_line_include_the_control_flow_holding_them():
    g = graph()
    assert linked.nodes_of_line(g, 12) == ["Sum", "If"]
    assert linked.nodes_of_line(g, 13) == ["If"]  # MatMul is in the If's branch
    assert linked.nodes_of_line(g, 14) == ["If"]  # two levels down
    assert linked.nodes_of_line(g.subgraphs["then"], 13) == ["MatMul"]
    assert linked.nodes_of_line(g, None) == [] and linked.nodes_of_line(g, 99) == []


def test_lines_count_ops_in_branches_once_and_skip_leaves():
    assert linked.lines(graph(), None) == {12: 3, 13: 1, 14: 1, 17: 1}


def test_line_of_a_node():
    g = graph()
    assert linked.line_of(g, "Sum_1") == 17
    assert linked.line_of(g, "nope") is None and linked.line_of(g, None) is None


def test_search_ops_ids_modules_params_and_lines():
    g = graph()
    assert linked.search(g, "sum") == ["Sum", "Sum_1"]
    assert linked.search(g, "SUM head") == ["Sum_1"]       # words all match, any case
    assert linked.search(g, "linear") == ["Sum_1"]         # the module's type
    assert linked.search(g, "fc.weight") == ["fc.weight"]  # a parameter path, not its
    # AccumulateGrad (drawn as the parameter)
    assert linked.search(g, "line 12") == ["Sum", "If"] == linked.search(g, ":12")
    assert linked.search(g, "  ") == [] and linked.search(g, "conv") == []


def test_value_lines_print_a_scalar_or_the_mean_and_range():
    g = Graph(framework="torch", nodes=[
        op("sum", "SumBackward0", value={"shape": [], "value": [1.31859], "min": 1.31859,
                                         "max": 1.31859, "mean": 1.31859}),
        op("relu", "ReluBackward0", value={"shape": [2, 2], "value": [0.0, 2.0, 0.5, 1.5],
                                           "min": 0.0, "max": 2.0, "mean": 1.0}),
        op("t", "TBackward0"), op("big", "MulBackward0", value={"shape": [40], "value": [0.0]})])
    assert linked.value_lines(g) == {"sum": ["= 1.32"], "relu": ["\u03bc 1 [0, 2]"]}


def test_step_marks_and_caption_against_the_origin_test_snippet():
    from explorer import execution
    from tests.test_origin import MODULES
    graph = execution.execute(MODULES, backward=False).graph
    # steps (tests/test_origin.py): 25, 12, 13, 12, 13, 26, 27, 26, 27, 26, 28
    first_mul = next(i for i, s in enumerate(graph.steps) if s["line"] == 27)
    marks = linked.step_marks(graph, first_mul)
    assert sorted(k for k, v in marks.items() if v == "added") == ["mul"]
    assert sorted(k for k, v in marks.items() if v == "future") == [
        "addmm_2", "mul_1", "sum", "t_2"]
    assert linked.step_caption(graph, first_mul) == \
        f"step {first_mul + 1} of 11 \u00b7 line 27, run 1 \u00b7 1 new node"
    second = next(i for i, s in enumerate(graph.steps) if s["line"] == 13 and i > 2)
    assert linked.step_caption(graph, second) == \
        f"step {second + 1} of 11 \u00b7 line 13 in model.1, run 2 \u00b7 2 new nodes"
