"""The node inspector's rows: a value summary in each of the shapes capture writes."""
from __future__ import annotations

from explorer.details import node_rows, value_text
from explorer.graph import Graph, Node


def test_value_text_of_each_summary_shape() -> None:
    assert value_text({"value": [1.23456, 2.0, 3], "truncated": False}) == "[1.235, 2, 3]"
    assert value_text({"value": [0.5], "truncated": True}) == "[0.5, ...]"
    # an op with two outputs (a list of summaries), and an output group
    assert value_text([{"value": [1.0]}, {"value": [2.5, 3.0]}]) == "[1]; [2.5, 3]"
    assert value_text({"items": [{"value": [1.0]}, {"value": [4.0]}]}) == "[1]; [4]"
    assert value_text(0.333333) == "0.3333"


def test_rows_of_an_output_node_holding_a_list_of_values() -> None:
    node = Node(id="out", kind="output", label="out",
                attrs={"value": [{"value": [1.0, 2.0]}, {"value": [3.0]}]})
    graph = Graph(framework="tf", nodes=[node], edges=[])
    assert ("value", "[1, 2]; [3]") in node_rows(graph, node)
