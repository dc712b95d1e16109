"""Drawing PyTorch's graph modes: torch.compile's FX graphs, each in a box of its own, with a
red break marker between consecutive graphs naming the line and the reason; a higher-order
op's branches (``cond``, ``while_loop``, ``prim::If``) drawn as boxes below their op. Node
labels, styles and Graphviz come from ``render``, so a node looks as it does everywhere."""
from __future__ import annotations

from explorer import render
from explorer.graph import Graph

BREAK_STYLE = {"shape": "octagon", "style": "filled", "fillcolor": "#fde2e0",
               "color": "#c0392b", "fontcolor": "#8e1b10"}
BOX_STYLE = {"style": "rounded", "color": "#7b8aa0", "fontname": render.FONT, "fontsize": "11",
             "labeljust": "l"}
CONTROL_STYLE = {"shape": "box3d", "fillcolor": "#f6d3f0", "color": "#9b3b8c"}
BREAK_WORDS = 60  # characters of the reason on the marker (the page shows it in full)


def _attrs(attrs: dict[str, str]) -> str:
    return "[" + " ".join(f"{k}={render.quote(str(v))}" for k, v in attrs.items()) + "]"


def dot_id(cluster: str, node_id: str) -> str:
    """A node's DOT id: FX names repeat from graph to graph (``l_x_``, ``linear``), so each
    is qualified by the box it is drawn in."""
    return f"{cluster}/{node_id}"


def _cluster(graph: Graph, name: str, label: str, out: list[str], depth: int = 0) -> None:
    """``graph`` as DOT cluster ``name``; its subgraphs as clusters of their own, inside."""
    pad = "  " * (depth + 1)
    out.append(f"{pad}subgraph {render.quote('cluster_' + name)} {{")
    out.append(f"{pad}  graph {_attrs({**BOX_STYLE, 'label': label})};")
    for node in graph.nodes:
        style = render.node_style(node)
        if node.attrs.get("subgraphs"):
            style = {**style, **CONTROL_STYLE}
        attrs = {**style, "label": "\n".join(render.node_lines(node, graph.framework)),
                 "id": render.dom_id(dot_id(name, node.id))}
        out.append(f"{pad}  {render.quote(dot_id(name, node.id))} {_attrs(attrs)};")
    for edge in graph.edges:
        out.append(f"{pad}  {render.quote(dot_id(name, edge.src))} -> "
                   f"{render.quote(dot_id(name, edge.dst))}"
                   f" {_attrs(render.EDGE_STYLE.get(edge.kind, {}))};")
    out.append(f"{pad}}}")
    for node in graph.nodes:
        for role, sub in node.attrs.get("subgraphs", {}).items():
            if sub in graph.subgraphs:
                _cluster(graph.subgraphs[sub], sub, f"{node.op} \u00b7 {role}", out, depth)
                first = next((n.id for n in graph.subgraphs[sub].nodes), None)
                if first:
                    out.append(f"{pad}{render.quote(dot_id(name, node.id))} -> "
                               f"{render.quote(dot_id(sub, first))} "
                               f"{_attrs({**render.EDGE_STYLE['control'], 'label': role})};")


def _header(title: str | None) -> list[str]:
    graph_attrs = {"rankdir": "TB", "fontname": render.FONT, "bgcolor": "white",
                   "nodesep": "0.25", "ranksep": "0.35", "compound": "true"}
    if title:
        graph_attrs.update(label=title, labelloc="t", fontsize="14")
    return ["digraph G {", f"  graph {_attrs(graph_attrs)};",
            f"  node {_attrs({'fontname': render.FONT, 'fontsize': '10', 'height': '0.3'})};",
            f"  edge {_attrs({'arrowsize': '0.6', 'color': '#555555', 'fontsize': '9'})};"]


def break_id(i: int) -> str:
    return f"graph_break_{i}"


def compile_dot(graph: Graph, title: str | None = None) -> str:
    """torch.compile's view: graph 0, break, graph 1, ... top to bottom."""
    out = _header(title)
    breaks = [b for b in graph.graph_breaks or [] if not b.get("before_any_op")]
    for j, brk in enumerate(b for b in graph.graph_breaks or [] if b.get("before_any_op")):
        # a break before any op ended no graph: the call ran in Python, drawn on its own
        words = brk.get("reason", "")
        label = ("runs in Python, outside any graph\n"
                 f"{words[:BREAK_WORDS]}" + ("\u2026" if len(words) > BREAK_WORDS else ""))
        out.append(f"  {render.quote(f'in_python_{j}')} "
                   f"{_attrs({**BREAK_STYLE, 'label': label, 'id': f'in_python_{j}'})};")
    tops = [n for n in graph.nodes if n.op == "GraphModule"]
    for i, top in enumerate(tops):
        name = top.attrs["subgraphs"]["graph"]
        sub = graph.subgraphs[name]
        _cluster(sub, name, f"FX graph {i} \u00b7 {top.attrs.get('ops', 0)} ops", out)
        if i + 1 < len(tops):
            brk = breaks[i] if i < len(breaks) else {}
            words = brk.get("reason", "")
            where = f"line {brk['line']}" if brk.get("line") else "graph break"
            label = f"graph break \u00b7 {where}\n{words[:BREAK_WORDS]}" + (
                "\u2026" if len(words) > BREAK_WORDS else "")
            out.append(f"  {render.quote(break_id(i))} "
                       f"{_attrs({**BREAK_STYLE, 'label': label, 'id': break_id(i)})};")
            following = tops[i + 1].attrs["subgraphs"]["graph"]
            nxt = graph.subgraphs[following].nodes
            if sub.nodes:
                out.append(f"  {render.quote(dot_id(name, sub.nodes[-1].id))} -> "
                           f"{render.quote(break_id(i))} {_attrs(render.EDGE_STYLE['control'])};")
            if nxt:
                out.append(f"  {render.quote(break_id(i))} -> "
                           f"{render.quote(dot_id(following, nxt[0].id))} "
                           f"{_attrs(render.EDGE_STYLE['control'])};")
    if not tops:
        out.append(f"  none {_attrs({'shape': 'plaintext', 'label': 'no FX graph captured'})};")
    out.append("}")
    return "\n".join(out) + "\n"


def to_dot(graph: Graph, title: str | None = None) -> str:
    """Any mode's graph: compile's boxes and breaks, or one box with its branch boxes."""
    if graph.framework == "compile":
        return compile_dot(graph, title)
    out = _header(title)
    _cluster(graph, "main", {"export": "torch.export", "torchscript": "TorchScript"}.get(
        graph.framework, graph.framework), out)
    out.append("}")
    return "\n".join(out) + "\n"


def to_svg(graph: Graph, title: str | None = None, timeout: float = 60.0) -> str:
    return render.run_dot(to_dot(graph, title), "svg", timeout).decode()
