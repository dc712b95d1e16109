"""Graph -> drawing -> DOT -> SVG through Graphviz, with style tables.

Presentation tricks the model never sees:
- *folding*: an ``AccumulateGrad`` node is drawn as the leaf whose gradient it accumulates;
- *ghosting*: a leaf used many times (a shared RNN weight) is drawn once per use, which keeps
  ``dot`` from routing hundreds of long edges to one node (minutes -> under a second);
- *rolling*: repeated identical chains (loop iterations, recursion) are drawn once, in a box
  with an "x N" badge; ``expand`` lists blocks to draw in full;
- *module boxes*: a ``render_modules.ModuleView`` draws its open module calls as clusters.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

from explorer.graph import Graph, Node
from explorer.render_clusters import FONT, clusters, nest
from explorer.render_decoration import Decoration
from explorer.render_modules import BOX_STYLE, ModuleView, box_lines
from explorer.rolling import Block, rolled_blocks

VIEWS = ("auto", "full", "rolled")
ROLL_BUDGET = 300        # "auto" draws the rolled view above this many nodes
GHOST_MIN_USES = 3       # a leaf used this often is drawn once per use
LARGE_DRAWING = 500      # above this many shapes, ask dot for its fast layout settings
LEAF_KINDS = ("param", "input", "const")

KIND_STYLE: dict[str, dict[str, str]] = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8edf4", "color": "#7b8aa0"},
    "param": {"shape": "box", "style": "filled", "fillcolor": "#bfe0ff", "color": "#3d7ab8"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#cdeccd", "color": "#4a8f4a"},
    "const": {"shape": "box", "style": "filled", "fillcolor": "#ececec", "color": "#8a8a8a"},
    "output": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#ffdca8",
               "color": "#c07a16"},
}
# Control flow stands out: these are the ops a static graph needs for Python's if/while.
OP_STYLE: dict[str, dict[str, str]] = {
    op: {"shape": "box3d", "fillcolor": "#f6d3f0", "color": "#9b3b8c"}
    for op in ("If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase")
}
DEVICE_STYLE: dict[str, dict[str, str]] = {
    "cpu": {},
    "cuda": {"color": "#5d9e00", "penwidth": "2.2"},
}
EDGE_STYLE: dict[str, dict[str, str]] = {
    "data": {},
    "saved": {"style": "dashed", "color": "#9a9a9a", "arrowhead": "empty"},
    "control": {"style": "dotted", "color": "#777777"},
    "carried": {"style": "dashed", "color": "#c0392b", "constraint": "false",
                "fontcolor": "#c0392b"},
}
GHOST_STYLE = {"style": "filled,dashed"}


class RenderError(Exception):
    """Graphviz could not draw: not installed, timed out or failed."""


@dataclass
class Shape:
    id: str
    node: str                      # the model node it draws
    kind: str
    lines: list[str]
    style: dict[str, str] = field(default_factory=dict)
    cluster: int | None = None


@dataclass
class Line:
    src: str
    dst: str
    kind: str = "data"
    count: int = 1
    edges: list[tuple[str, str]] = field(default_factory=list)  # the model edges it draws


@dataclass
class Drawing:
    shapes: list[Shape]
    lines: list[Line]
    blocks: list[Block]
    view: str
    alias: dict[str, str] = field(default_factory=dict)  # folded node -> node drawn for it
    modules: ModuleView | None = None  # open module calls, drawn as clusters


def shape_text(shape: list[int] | None) -> str:
    if shape is None:
        return ""
    return "scalar" if not shape else "(" + ", ".join(str(d) for d in shape) + ")"


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def node_lines(node: Node, framework: str = "torch") -> list[str]:
    """Label lines: what the node is, its TF op name where that says more, shape, value."""
    if "module_box" in node.attrs:
        return box_lines(node)
    title = node.label or node.op or node.id
    lines = [_short(title, 40)]
    if framework != "torch" and node.kind == "op" and node.id != title:
        lines.append(_short(node.id))  # a TF op's name tells its scope: while/..., cond/...
    lines.append(shape_text(node.shape))
    value = node.attrs.get("value", {})
    if node.kind == "output" and node.shape == [] and value.get("value"):
        v = value["value"][0]
        lines.append(f"= {v:.4g}" if isinstance(v, float) else f"= {v}")
    elif node.op == "Const" and value not in ({}, None):
        lines.append(_short(f"= {value}", 24))
    return [line for line in lines if line]


def node_style(node: Node) -> dict[str, str]:
    device = (node.device or "cpu").split(":")[0]
    box = BOX_STYLE if "module_box" in node.attrs else {}
    return {**KIND_STYLE.get(node.kind, KIND_STYLE["op"]), **OP_STYLE.get(node.op, {}), **box,
            **DEVICE_STYLE.get(device, {})}


def resolve_view(graph: Graph, view: str) -> str:
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, not {view!r}")
    if view == "auto":
        return "rolled" if len(graph.nodes) > ROLL_BUDGET else "full"
    return view


def _folded(graph: Graph) -> dict[str, str]:
    """AccumulateGrad node id -> the leaf it belongs to (drawn as one box)."""
    nodes = graph.by_id()
    alias = {}
    for dst, edges in graph.inputs_of().items():
        node = nodes[dst]
        if node.op == "AccumulateGrad" and len(edges) == 1 and nodes[edges[0].src].kind in LEAF_KINDS:  # noqa: E501
            alias[dst] = edges[0].src
    return alias


def drawing(graph: Graph | ModuleView, view: str = "auto",
            expand: tuple[int, ...] = ()) -> Drawing:
    """What to draw: shapes, lines and rolled blocks, before any DOT syntax. A ModuleView
    (``render_modules.collapse``) draws its graph with its open module calls as clusters."""
    modules = graph if isinstance(graph, ModuleView) else None
    graph = modules.graph if modules else graph
    view = resolve_view(graph, view)
    alias = _folded(graph)
    blocks: list[Block] = []
    rep: dict[str, str] = {}                 # node -> the node drawn in its place
    place: dict[str, tuple[int, int]] = {}   # node -> (block index, copy)
    if view == "rolled":
        order, blocks = rolled_blocks(graph)
        for k, block in enumerate(blocks):
            if k in expand:
                continue
            for pos in range(block.start, block.end):
                copy, offset = block.copy_and_offset(pos)
                rep[order[pos]] = order[block.start + offset]
                place[order[pos]] = (k, copy)
    shapes = [Shape(id=n.id, node=n.id, kind=n.kind, lines=node_lines(n, graph.framework),
                    style=node_style(n),
                    cluster=place[n.id][0] if n.id in place else None)
              for n in graph.nodes if n.id not in alias and rep.get(n.id, n.id) == n.id]
    drawn: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for edge in graph.edges:
        src, dst = alias.get(edge.src, edge.src), alias.get(edge.dst, edge.dst)
        if src == dst:
            continue
        kind = edge.kind
        if src in place and dst in place and place[src][0] == place[dst][0] \
                and place[src][1] != place[dst][1]:
            kind = "carried"
        key = (rep.get(src, src), rep.get(dst, dst), kind)
        drawn.setdefault(key, []).append((edge.src, edge.dst))
    lines = [Line(s, d, k, len(edges), edges) for (s, d, k), edges in drawn.items()]
    shapes, lines = _ghost(shapes, lines)
    return Drawing(shapes=shapes, lines=lines, blocks=blocks, view=view, alias=alias,
                   modules=modules)


def _ghost(shapes: list[Shape], lines: list[Line]) -> tuple[list[Shape], list[Line]]:
    """One drawn copy of a much-used leaf per use."""
    uses: dict[str, list[Line]] = {}
    for line in lines:
        uses.setdefault(line.src, []).append(line)
    ghosted = {s.id for s in shapes
               if s.kind in LEAF_KINDS and len(uses.get(s.id, ())) >= GHOST_MIN_USES}
    if not ghosted:
        return shapes, lines
    out_shapes: list[Shape] = []
    for shape in shapes:
        if shape.id not in ghosted:
            out_shapes.append(shape)
            continue
        used = uses[shape.id]
        for k, line in enumerate(used):
            ghost = f"{shape.id}#{k}"
            out_shapes.append(Shape(id=ghost, node=shape.node, kind=shape.kind,
                                    lines=shape.lines + [f"shared, use {k + 1}/{len(used)}"],
                                    style={**shape.style, **GHOST_STYLE}, cluster=None))
            line.src = ghost
    return out_shapes, lines


# -- DOT ---------------------------------------------------------------------------------

def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs: dict[str, str]) -> str:
    return "[" + " ".join(f"{k}={quote(str(v))}" for k, v in attrs.items()) + "]"


def dom_id(node_id: str) -> str:
    """The id the node's ``<g>`` element carries in the SVG (the page selects by it)."""
    return "node_" + "".join(c if c.isalnum() or c in "_." else "_" for c in node_id)


def to_dot(graph: Graph | ModuleView, view: str = "auto", expand: tuple[int, ...] = (),
           title: str | None = None, decoration: Decoration | None = None) -> str:
    return drawing_to_dot(drawing(graph, view, expand), title, decoration)


def drawing_to_dot(d: Drawing, title: str | None = None,
                   decoration: Decoration | None = None) -> str:
    deco = decoration or Decoration()
    graph_attrs = {"rankdir": "TB", "fontname": FONT, "bgcolor": "white", "nodesep": "0.25",
                   "ranksep": "0.35"}
    if title:
        graph_attrs.update(label=title, labelloc="t", fontsize="14")
    if len(d.shapes) > LARGE_DRAWING:
        # Network simplex x-placement dominates dot's time on long chains; newrank with
        # nslimit=0 keeps a 6,000-node RNN under a second (measured in bench/).
        graph_attrs.update(newrank="true", nslimit="0")
    out = ["digraph G {", f"  graph {_attrs(graph_attrs)};",
           f"  node {_attrs({'fontname': FONT, 'fontsize': '10', 'height': '0.3', 'margin': '0.08,0.03'})};",  # noqa: E501
           f"  edge {_attrs({'arrowsize': '0.6', 'color': '#555555', 'fontname': FONT, 'fontsize': '9'})};"]  # noqa: E501
    shape_of = {shape.id: shape for shape in d.shapes}
    first = {shape.id: k for k, shape in enumerate(d.shapes)}

    def emit(parent: str | None, indent: str) -> None:
        """A cluster's own shapes and its clusters, each where its first shape is."""
        own = forest.shapes.get(parent, [])
        items = [(forest.first(c.key), c) for c in forest.children.get(parent, [])]
        for _, cluster in sorted(items + ([(first[own[0]], None)] if own else []),
                                 key=lambda item: item[0]):
            if cluster is None:
                for shape in map(shape_of.get, own):
                    lines = shape.lines + deco.node_lines.get(shape.node, [])
                    attrs = {**shape.style, **deco.style_of_shape(shape, d.alias),
                             "label": "\n".join(lines), "id": dom_id(shape.id)}
                    out.append(f"{indent}{quote(shape.id)} {_attrs(attrs)};")
                continue
            name = "cluster_" + cluster.key
            out.append(f"{indent}subgraph {name if name.isidentifier() else quote(name)} {{")
            out.append(f"{indent}  graph {_attrs(cluster.attrs)};")
            emit(cluster.key, indent + "  ")
            out.append(f"{indent}}}")

    forest = nest([shape.id for shape in d.shapes], clusters(d.blocks, d.shapes, d.modules))
    emit(None, "  ")
    cluster_of = {shape.id: shape.cluster for shape in d.shapes}
    for line in d.lines:
        attrs = {**EDGE_STYLE.get(line.kind, {}), **deco.style_of_line(line)}
        inside = cluster_of.get(line.src) is not None and \
            cluster_of.get(line.src) == cluster_of.get(line.dst) and line.kind != "carried"
        if line.count > 1 and not inside:  # a body edge repeats once per copy: the badge says so
            attrs["label"] = f"\u00d7{line.count}"
        suffix = f" {_attrs(attrs)}" if attrs else ""
        out.append(f"  {quote(line.src)} -> {quote(line.dst)}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"


# -- Graphviz ----------------------------------------------------------------------------

def dot_available() -> bool:
    return shutil.which("dot") is not None


def run_dot(dot: str, fmt: str = "svg", timeout: float = 60.0) -> bytes:
    """Lay out and draw DOT text with Graphviz's ``dot`` program."""
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError("Graphviz's dot program is not installed (Debian: apt-get install "
                          "graphviz); DOT and JSON output still work.")
    try:
        result = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz took longer than {timeout:.0f} s; try the rolled view.") \
            from None
    if result.returncode != 0:
        raise RenderError("Graphviz failed: " + result.stderr.decode(errors="replace")[:500])
    return result.stdout


def to_svg(graph: Graph, view: str = "auto", expand: tuple[int, ...] = (),
           timeout: float = 60.0, decoration: Decoration | None = None) -> str:
    return run_dot(to_dot(graph, view, expand, decoration=decoration), "svg", timeout).decode()
