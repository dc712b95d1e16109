"""A fast layered layout for graphs too big for Graphviz's ``dot``: positions for every shape
of ``render.drawing`` in O(N + E) per pass, for the browser to draw on a canvas.

Graphviz's layered layout of the 1,000-step RNN's 13,009-op tf.function graph took over 90 s
(bench/big_graph.py). This one keeps the same picture's rules, cheaply:

1. ranks by longest path from the sources (every line goes from a lower rank to a higher
   one), then each shape moved down to just above its first user, so a loop step's weights
   and input slice sit beside that step, not at the top of a 2,000-rank column;
2. the order inside each rank from a few barycenter sweeps (down by the inputs' positions,
   up by the users'), as dot's mincross does, without its dummy nodes;
3. x from each shape's wanted place (its neighbours' mean), pushed apart left to right so
   no two boxes of a rank overlap; y from the rank. Lines are straight, drawn by the client.

The scene is a plain dict (JSON for ``pages/ui/bigview.js``): shapes as rows, lines as pairs
of shape indices, the drawing's size.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from explorer import render
from explorer.graph import Graph

# full views of more nodes than this are laid out here, not by dot (env GX_BIG_NODES). dot's
# time grows about as the square: a 2,349-op tf graph took it 11 s, 3,909 ops 37 s (a
# 2,105-node torch chain 0.3 s); this layout takes 0.07 and 0.4 s (bench/big_graph.py)
BIG_NODES = int(os.environ.get("GX_BIG_NODES", "1500"))
CHAR_W = 6.2        # px per character at the canvas's 10 px font
PAD_W = 14.0
MIN_W = 44.0
LINE_H = 12.0
PAD_H = 8.0
GAP_X = 14.0        # between boxes of a rank
GAP_Y = 30.0        # between ranks
SWEEPS = 4          # barycenter passes (down and up count one each)


@dataclass
class Box:
    w: float
    h: float
    rank: int = 0
    x: float = 0.0     # centre
    y: float = 0.0     # centre


def routed(graph: Graph, view: str) -> bool:
    """Whether this graph in this view is drawn by the big-graph viewer, not by dot."""
    return render.resolve_view(graph, view) == "full" and len(graph.nodes) > BIG_NODES


def box_size(lines: list[str]) -> tuple[float, float]:
    width = max((len(line) for line in lines), default=0) * CHAR_W + PAD_W
    return max(MIN_W, width), max(1, len(lines)) * LINE_H + PAD_H


def ranks_of(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Longest-path ranks over shape indices, then every shape moved down to just above its
    first user (a loop step's weights and input slice beside that step, not at the top).
    Edges closing a cycle (none in a well-formed graph) are ignored."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for s, d in edges:
        succ[s].append(d)
        indeg[d] += 1
    order = [i for i in range(n) if indeg[i] == 0]
    rank = [0] * n
    head = 0
    while head < len(order):
        i = order[head]
        head += 1
        for d in succ[i]:
            rank[d] = max(rank[d], rank[i] + 1)
            indeg[d] -= 1
            if indeg[d] == 0:
                order.append(d)
    placed = set(order)
    if len(order) < n:  # a cycle: put what is left after the rest, in node order
        top = max(rank, default=0) + 1
        for i in range(n):
            if i not in placed:
                rank[i] = top
                order.append(i)
    for i in reversed(order):  # users first, so each shape can sit just above its nearest
        later = [rank[d] for d in succ[i] if rank[d] > rank[i]]
        if later:
            rank[i] = max(rank[i], min(later) - 1)
    return rank


def _sweep(layers: list[list[int]], pos: list[float], neighbours: list[list[int]],
           reverse: bool) -> None:
    """Reorder each layer by its shapes' neighbours' mean position (one barycenter pass)."""
    for layer in (reversed(layers) if reverse else layers):
        keyed = []
        for k, i in enumerate(layer):
            near = neighbours[i]
            keyed.append((sum(pos[j] for j in near) / len(near) if near else pos[i], k, i))
        keyed.sort()
        layer[:] = [i for _, _, i in keyed]
        for k, i in enumerate(layer):
            pos[i] = float(k) - (len(layer) - 1) / 2


def _place_x(layer: list[int], boxes: list[Box], want: list[float]) -> None:
    """Boxes of one rank at their wanted x, in order, pushed apart where they would overlap,
    the row then centred."""
    xs: list[float] = []
    for k, i in enumerate(layer):
        x = want[i]
        if k:
            prev = layer[k - 1]
            x = max(x, xs[-1] + (boxes[prev].w + boxes[i].w) / 2 + GAP_X)
        xs.append(x)
    # centred on x = 0: a long loop's ranks would otherwise drift sideways step by step
    # (each follows its inputs' mean, which its own ghost leaves pull off the column)
    shift = -(xs[0] - boxes[layer[0]].w / 2 + xs[-1] + boxes[layer[-1]].w / 2) / 2 if xs else 0
    for i, x in zip(layer, xs):
        boxes[i].x = x + shift


def layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]]) -> list[Box]:
    """Positions of ``len(sizes)`` boxes (w, h) joined by ``edges`` (src index, dst index)."""
    n = len(sizes)
    boxes = [Box(w, h) for w, h in sizes]
    rank = ranks_of(n, edges)
    depth = max(rank, default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(depth)]
    for i in range(n):
        boxes[i].rank = rank[i]
        layers[rank[i]].append(i)
    pred: list[list[int]] = [[] for _ in range(n)]
    succ: list[list[int]] = [[] for _ in range(n)]
    for s, d in edges:
        if s != d:
            pred[d].append(s)
            succ[s].append(d)
    pos = [0.0] * n
    for layer in layers:
        for k, i in enumerate(layer):
            pos[i] = float(k) - (len(layer) - 1) / 2
    for sweep in range(SWEEPS):
        _sweep(layers, pos, pred if sweep % 2 == 0 else succ, reverse=sweep % 2 == 1)
    # x: start from the slot order, then pull each rank towards its inputs' x (down) and
    # its users' x (up), resolving overlaps each time
    unit = sum(w for w, _ in sizes) / max(1, n) + GAP_X
    want = [pos[i] * unit for i in range(n)]
    for layer in layers:
        _place_x(layer, boxes, want)
    for sweep in range(2):
        neighbours = pred if sweep == 0 else succ
        for layer in (layers if sweep == 0 else reversed(layers)):
            for i in layer:
                near = neighbours[i]
                want[i] = sum(boxes[j].x for j in near) / len(near) if near else boxes[i].x
            _place_x(layer, boxes, want)
    y = 0.0
    for layer in layers:
        tallest = max((boxes[i].h for i in layer), default=0.0)
        for i in layer:
            boxes[i].y = y + tallest / 2
        y += tallest + GAP_Y
    return boxes


def scene(graph: Graph, decoration: render.Decoration | None = None) -> dict:
    """The full drawing of ``graph`` laid out: what ``bigview.js`` draws.

    ``shapes``: rows ``[dom id, x, y, w, h, fill, stroke, label lines]`` (centre, size; the
    dom id is ``render.dom_id`` of the model node, so a ghost copy answers as its node);
    ``lines``: ``[src row, dst row, kind]``; ``width``/``height``: the drawing's bounds."""
    deco = decoration or render.Decoration()
    drawn = render.drawing(graph, "full")
    index = {shape.id: k for k, shape in enumerate(drawn.shapes)}
    labels = [shape.lines + deco.node_lines.get(shape.node, []) for shape in drawn.shapes]
    pairs = [(index[line.src], index[line.dst]) for line in drawn.lines
             if line.src in index and line.dst in index]
    boxes = layout([box_size(lines) for lines in labels], pairs)
    left = min((b.x - b.w / 2 for b in boxes), default=0.0) - GAP_X
    shapes = []
    for shape, box, lines in zip(drawn.shapes, boxes, labels):
        style = {**shape.style, **deco.style_of_shape(shape, drawn.alias)}
        shapes.append([render.dom_id(shape.node), round(box.x - left, 1), round(box.y + GAP_Y, 1),
                       round(box.w, 1), round(box.h, 1), style.get("fillcolor", "#e8edf4"),
                       style.get("color", "#7b8aa0"), lines])
    width = max((s[1] + s[3] / 2 for s in shapes), default=0.0) + GAP_X
    height = max((s[2] + s[4] / 2 for s in shapes), default=0.0) + GAP_Y
    kinds = [line.kind for line in drawn.lines if line.src in index and line.dst in index]
    return {"shapes": shapes, "lines": [[s, d, k] for (s, d), k in zip(pairs, kinds)],
            "width": round(width, 1), "height": round(height, 1)}
