"""The big-graph layout (explorer/layout_big.py), checked against the graph's own edges: every
shape placed, every edge drawn downward (its source's rank above its destination's), no two
boxes overlapping; ranks of a hand-drawn DAG written out by hand; the route by size."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from explorer import execution, layout_big, render
from explorer.graph import Edge, Graph, Node

RNN = """
import torch
import torch.nn as nn

cell = nn.Linear(4, 4)


def inputs():
    return (torch.randn(40, 4),)


def forward(sequence):
    h = torch.zeros(1, 4)
    for i in range(40):
        h = torch.tanh(cell(sequence[i]) + h)
    return h.sum()
"""


def overlaps(rows: list[list]) -> list[tuple[int, int]]:
    """Pairs of boxes (centre x, y, size w, h) that overlap: a sweep over x, any rank."""
    boxes = sorted(range(len(rows)), key=lambda i: rows[i][1] - rows[i][3] / 2)
    found, active = [], []
    for i in boxes:
        left = rows[i][1] - rows[i][3] / 2
        active = [j for j in active if rows[j][1] + rows[j][3] / 2 > left]
        for j in active:
            if abs(rows[i][2] - rows[j][2]) < (rows[i][4] + rows[j][4]) / 2:
                found.append((j, i))
        active.append(i)
    return found


def random_dag(n: int, seed: int) -> Graph:
    rng = random.Random(seed)
    nodes = [Node(id=f"n{i}", kind="op", op="Op" + "x" * rng.randrange(12))  # no ghosts
             for i in range(n)]
    edges = {Edge(f"n{rng.randrange(i)}", f"n{i}") for i in range(1, n)}
    edges |= {Edge(f"n{a}", f"n{b}") for a, b in
              (sorted(rng.sample(range(n), 2)) for _ in range(n // 2))}
    return Graph(framework="torch", nodes=nodes, edges=sorted(edges, key=str))


def test_ranks_of_a_hand_drawn_dag():
    # 0 -> 1 -> 2 -> 3, 4 -> 3 (a late source sits just above its user), 0 -> 3 (a long edge)
    assert layout_big.ranks_of(5, [(0, 1), (1, 2), (2, 3), (4, 3), (0, 3)]) == [0, 1, 2, 3, 2]
    # a side branch 1 -> 5 that ends (a sink) stays right under its source
    assert layout_big.ranks_of(6, [(0, 1), (1, 2), (2, 3), (1, 5), (4, 3)]) == [0, 1, 2, 3, 2, 2]


def test_random_dag_every_node_placed_edges_downward_no_overlaps():
    graph = random_dag(1500, seed=3)
    scene = layout_big.scene(graph)
    rows = scene["shapes"]
    assert sorted(r[0] for r in rows) == sorted(render.dom_id(n.id) for n in graph.nodes)
    where = {r[0]: r for r in rows}
    for edge in graph.edges:  # the graph's own edges, not the scene's lines
        src, dst = where[render.dom_id(edge.src)], where[render.dom_id(edge.dst)]
        assert src[2] + src[4] / 2 < dst[2] - dst[4] / 2, edge
    assert overlaps(rows) == []
    assert all(r[1] - r[3] / 2 >= 0 and r[1] + r[3] / 2 <= scene["width"] and
               r[2] - r[4] / 2 >= 0 and r[2] + r[4] / 2 <= scene["height"] for r in rows)
    assert len(scene["lines"]) == len(graph.edges)


def test_overlaps_finds_overlapping_boxes():
    # the checker itself: two boxes of one rank 10 apart, 40 wide, overlap; a third is clear
    rows = [["a", 0, 0, 40, 20], ["b", 10, 0, 40, 20], ["c", 10, 100, 40, 20]]
    assert overlaps(rows) == [(0, 1)]


def test_rnn_autograd_graph_laid_out_as_a_column():
    graph = execution.execute(RNN).graph
    scene = layout_big.scene(graph)
    rows = scene["shapes"]
    drawn = render.drawing(graph, "full")
    assert len(rows) == len(drawn.shapes)  # ghost copies of cell.weight, one per use
    folded = set(drawn.alias)
    assert {r[0] for r in rows} == {render.dom_id(n.id) for n in graph.nodes
                                    if n.id not in folded}
    ys = {}
    for row in rows:
        ys.setdefault(row[0], []).append(row[2])
    for edge in graph.edges:
        src, dst = drawn.alias.get(edge.src, edge.src), drawn.alias.get(edge.dst, edge.dst)
        if src != dst:  # the one source copy that feeds this edge lies above it
            assert min(ys[render.dom_id(src)]) < max(ys[render.dom_id(dst)]), edge
    assert overlaps(rows) == []
    # 40 steps of a loop: a tall column (each step's weights beside it, not 40 wide at top)
    assert scene["height"] > 10 * scene["width"]
    output = next(r for r in rows if r[0] == render.dom_id("output"))
    assert output[2] == max(r[2] for r in rows)


def test_closed_module_calls_are_laid_out_as_one_box_each():
    """The canvas draws module boxes as the SVG view closes them: each of the 40 ``cell``
    calls one box (``render_modules.collapse`` at depth 0), its Linear's nodes gone, the
    loop's own ops (the ``+ h``, the tanh) between the boxes, every edge downward."""
    from explorer import render_modules

    graph = execution.execute(RNN).graph
    view = render_modules.collapse(graph, depth=0)
    scene = layout_big.scene(view.graph)
    rows = scene["shapes"]
    boxes = [r for r in rows if r[7][0] == "cell \u00b7 Linear"]
    assert len(boxes) == 40 and all(r[7][1].endswith("\u2192 (4)") for r in boxes)
    ops = Counter(r[7][0].split(" ")[0] for r in rows if r not in boxes)
    assert ops["TanhBackward0"] == 40 and ops["AddmmBackward0"] == 0 and ops["TBackward0"] == 0
    ys: dict[str, list[float]] = {}  # a shared leaf has a copy beside each use
    for row in rows:
        ys.setdefault(row[0], []).append(row[2])
    for edge in view.graph.edges:
        src, dst = render.dom_id(edge.src), render.dom_id(edge.dst)
        if src in ys and dst in ys:
            assert min(ys[src]) < max(ys[dst]), edge
    assert overlaps(rows) == []


def test_decoration_lines_and_styles_reach_the_scene():
    graph = random_dag(20, seed=1)
    deco = render.Decoration(node_lines={"n5": ["grad 0.5"]},
                             node_style={"n5": {"fillcolor": "#ff0000"}})
    row = next(r for r in layout_big.scene(graph, deco)["shapes"] if r[0] == "node_n5")
    assert row[7][-1] == "grad 0.5" and row[5] == "#ff0000"


def test_a_cycle_is_placed_not_an_error():
    rows = layout_big.layout([(50, 20)] * 3, [(0, 1), (1, 2), (2, 1)])
    assert len(rows) == 3 and rows[0].rank < rows[1].rank  # the edge out of the cycle holds


@pytest.mark.parametrize(("n", "view", "big"), [(3000, "full", True), (3000, "rolled", False),
                                                (3000, "auto", False), (100, "full", False)])
def test_routed_only_full_views_of_big_graphs(n, view, big, monkeypatch):
    monkeypatch.setattr(layout_big, "BIG_NODES", 2500)
    graph = Graph(framework="tf", nodes=[Node(id=f"n{i}", kind="op", op="Op") for i in range(n)])
    assert layout_big.routed(graph, view) is big
