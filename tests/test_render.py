"""Rendering: DOT against files (one written by hand, the others reviewed once as pictures and
frozen), folding, ghosting and rolling against hand-computed expectations."""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from explorer import render, snippet
from explorer.capture.torch import capture
from explorer.graph import Edge, Graph, Node
from explorer.rolling import Block, find_blocks
from tests.conftest import SNIPPETS
from tests.test_graph import HAND_WRITTEN

GOLDEN = Path(__file__).parent / "golden"
needs_dot = pytest.mark.skipif(not render.dot_available(), reason="Graphviz's dot not installed")


def graph_of(name: str, **replace: str) -> Graph:
    code = (SNIPPETS / f"{name}.py").read_text()
    for old, new in replace.items():
        code = code.replace(old, new)
    program = snippet.load(code)
    return capture(program.run_forward(), program.leaves())


def test_hand_written_graph_gives_the_hand_written_dot():
    """AccumulateGrad is folded into the parameter it belongs to."""
    assert render.to_dot(Graph.loads(HAND_WRITTEN), "full") == \
        (GOLDEN / "hand_mul.dot").read_text()


@pytest.mark.parametrize("name, view", [("example_if_twice", "full"),
                                        ("capture_shared", "full"),
                                        ("rnn_steps", "rolled")])
def test_golden_dot(name, view):
    dot = render.to_dot(graph_of(name), view)
    path = GOLDEN / f"{name}.{view}.dot"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(dot)
    assert dot == path.read_text()


def test_find_blocks_on_hand_made_sequences():
    assert find_blocks(np.array([1, 2, 3, 2, 3, 2, 3, 4])) == [Block(1, 2, 3)]
    assert find_blocks(np.array([5, 5, 5, 5])) == [Block(0, 1, 4)]
    assert find_blocks(np.array([1, 2, 3, 4, 5])) == []
    # two loops one after the other
    assert find_blocks(np.array([1, 2, 1, 2, 1, 2, 9, 7, 7, 7, 7, 7])) == \
        [Block(0, 2, 3), Block(7, 1, 5)]


def test_find_blocks_starts_a_repeat_where_a_fresh_chain_starts():
    codes = np.array([9, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1])
    fresh = np.array([True, False, True, False] * 2 + [True, False, False])
    assert find_blocks(codes) == [Block(1, 3, 3)]
    assert find_blocks(codes, fresh) == [Block(2, 3, 3)]  # 2,3,1 x3 fits up to the end


def test_rolled_rnn_draws_one_iteration_with_its_count():
    steps = 40
    graph = graph_of("rnn_steps", **{"STEPS = 12": f"STEPS = {steps}"})
    full = render.drawing(graph, "full")
    rolled = render.drawing(graph, "rolled")
    assert len(rolled.blocks) == 1
    block = rolled.blocks[0]
    assert block.period == 5  # t, addmm, view, add, tanh
    assert block.copies >= steps - 3
    drawn_ops = [s for s in rolled.shapes if s.kind == "op"]
    assert len(drawn_ops) == sum(1 for n in graph.nodes if n.kind == "op"
                                 and n.op != "AccumulateGrad") - block.period * (block.copies - 1)
    assert any(line.kind == "carried" for line in rolled.lines)
    assert len(rolled.shapes) < len(full.shapes) / 5
    assert f"\u00d7 {block.copies}" in render.drawing_to_dot(rolled)


def test_expanding_a_block_draws_it_in_full():
    graph = graph_of("rnn_steps")
    assert render.drawing(graph, "rolled", expand=(0,)).shapes == \
        render.drawing(graph, "full").shapes


def test_auto_view_rolls_only_above_the_budget():
    small = graph_of("rnn_steps")
    big = graph_of("rnn_steps", **{"STEPS = 12": "STEPS = 80"})
    assert len(small.nodes) < render.ROLL_BUDGET < len(big.nodes)
    assert render.drawing(small).view == "full"
    assert render.drawing(big).view == "rolled"


def test_ghosting_draws_a_much_used_leaf_once_per_use():
    shared = render.drawing(graph_of("capture_shared"), "full")  # layer used 3 times
    weights = [s for s in shared.shapes if s.node == "layer.weight"]
    assert len(weights) == 3 and all("shared" in s.lines[-1] for s in weights)
    assert sorted(l.src for l in shared.lines if l.src.startswith("layer.weight")) == \
        ["layer.weight#0", "layer.weight#1", "layer.weight#2"]
    twice = render.drawing(graph_of("example_if_twice", **{"if x.sum() > 0": "if False"}), "full")
    assert [s.id for s in twice.shapes if s.node == "linear_layer.weight"] == \
        ["linear_layer.weight"]  # used twice: drawn once, with two edges out


def test_dot_quotes_any_name():
    graph = Graph("torch", nodes=[Node('we"ird\\name', "param", shape=[1]),
                                  Node("output", "output", shape=[1])],
                  edges=[Edge('we"ird\\name', "output")])
    dot = render.to_dot(graph)
    assert '"we\\"ird\\\\name"' in dot
    if render.dot_available():
        assert "<svg" in render.run_dot(dot).decode()


def test_cuda_nodes_are_styled_by_device():
    graph = Graph.loads(HAND_WRITTEN)
    for node in graph.nodes:
        node.device = "cuda:0"
    assert 'color="#5d9e00"' in render.to_dot(graph)


@needs_dot
def test_svg_carries_node_ids_the_page_can_select():
    svg = render.to_svg(graph_of("example_if_twice"), "full")
    assert set(re.findall(r'<g id="(node_[^"]+)" class="node"', svg)) == {
        "node_linear_layer.weight", "node_linear_layer.bias", "node_x", "node_t",
        "node_addmm", "node_sum", "node_output"}


def test_missing_dot_is_a_clear_render_error(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(render.RenderError, match="not installed"):
        render.run_dot("digraph G {}")
