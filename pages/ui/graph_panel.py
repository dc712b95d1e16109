"""One graph on the page: the viewer, the node picked in it, and that node's details."""
from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict

import streamlit as st

from explorer import details, layout_big, linked, render, render_modules
from explorer.graph import Graph
from pages.ui import bigview, graph_memo, modules_ui
from pages.ui.viewer import graph_viewer

PARSED_KEPT = 8  # results' graphs parsed once: a rerun draws the ones it already holds
_parsed: OrderedDict[int, tuple[dict, Graph]] = OrderedDict()
_parsed_lock = threading.Lock()


def graph_of(data: dict) -> Graph:
    """The Graph of a result's graph JSON, parsed once for all reruns that show that result
    (keyed by the JSON's identity: the page keeps its result, and this keeps the JSON alive
    so that its id is not reused). The pages only read the graphs they draw."""
    with _parsed_lock:  # every session's script thread shares this
        kept = _parsed.get(id(data))
        if kept is not None and kept[0] is data:
            _parsed.move_to_end(id(data))
            return kept[1]
    graph = Graph.from_json(data)
    with _parsed_lock:
        _parsed[id(data)] = (data, graph)
        while len(_parsed) > PARSED_KEPT:
            _parsed.popitem(last=False)
    return graph


def digest(graph: Graph) -> str:
    """The graph's content, as a short key for the caches below; once per graph (a 13,000-op
    graph's JSON takes 0.1 s, and every rerun drew it two or three times)."""
    return graph_memo.memo(graph, "digest",
                           lambda: hashlib.sha1(graph.dumps().encode()).hexdigest())


@st.cache_data(max_entries=64, show_spinner=False)
def dot_text(_graph: Graph, graph_digest: str, view: str, decoration_json: str = "{}",
             boxes_key: str = "", _boxes: render_modules.ModuleView | None = None) -> str:
    """DOT of ``_graph`` (not hashed: ``graph_digest`` is its key, so the graph the page
    already holds is drawn as it is, not serialised and parsed again); with module boxes
    ``_boxes`` (``boxes_key`` its settings) where the page has them."""
    deco = json.loads(decoration_json)
    decoration = render.Decoration(
        node_lines=deco.get("node_lines", {}), node_style=deco.get("node_style", {}),
        edge_style={tuple(k.split("\u2192", 1)): v for k, v in deco.get("edge_style", {}).items()})
    return render.to_dot(_boxes or _graph, view, decoration=decoration)


@st.cache_data(max_entries=64, show_spinner=False)
def svg_text(dot: str) -> str:
    return render.run_dot(dot, "svg").decode()


SLIDE_PX = 2400            # a downloaded PNG's longer side, at least: sharp on a 4K slide
SLIDE_MAX_PIXELS = 40e6    # and at most this many pixels (a 1,000-step loop is long)


def slide_dpi(svg: str) -> float:
    """The resolution that draws the graph (its SVG's size in points) with its longer side
    ``SLIDE_PX`` pixels, never below the screen's 96 dpi and within ``SLIDE_MAX_PIXELS``."""
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if not match:
        return 96.0
    width, height = (float(v) / 72 for v in match.groups())  # inches
    dpi = max(96.0, SLIDE_PX / max(width, height, 1e-3))
    return min(dpi, max(72.0, (SLIDE_MAX_PIXELS / max(width * height, 1e-6)) ** 0.5))


@st.cache_data(max_entries=16, show_spinner=False)
def png_bytes(dot: str) -> bytes:
    """The PNG for slides: at ``slide_dpi`` (Graphviz's own 96 dpi draws 549x639 px)."""
    dpi = slide_dpi(svg_text(dot))
    return render.run_dot(re.sub(r"\{", f"{{\n  graph [dpi={dpi:.0f}];", dot, count=1), "png")


@st.cache_data(max_entries=16, show_spinner=False)
def svg_download(dot: str) -> str:
    """An SVG that keeps its fonts anywhere: Cairo draws each letter as a path of the font
    Graphviz measured the layout with, so no viewer substitutes another and overflows."""
    return render.run_dot(dot, "svg:cairo").decode()


def decoration_json(decoration: render.Decoration | None) -> str:
    if decoration is None:
        return "{}"
    return json.dumps({"node_lines": decoration.node_lines, "node_style": decoration.node_style,
                       "edge_style": {f"{s}\u2192{d}": v
                                      for (s, d), v in decoration.edge_style.items()}},
                      sort_keys=True)


def show_graph(graph: Graph, *, key: str, view: str = "auto", height: int = 560,
               decoration: render.Decoration | None = None,
               highlight: dict[str, str] | None = None,
               focus: tuple[str, int] | None = None,
               boxes: render_modules.ModuleView | None = None) -> str | None:
    """Draw ``graph``; return the id of the node the user selected, if any. ``focus``
    (node id, token) pans to that node once per token (search's "next"). ``boxes``
    (``modules_ui.controls``): module calls drawn as boxes, a click opens or closes one."""
    def dot() -> str:  # not made for the big-graph route: its canvas needs no DOT
        boxed = render_modules.decorate(boxes, decoration)  # a closed box: its result's
        return dot_text(graph, digest(graph), view, decoration_json(boxed),
                        modules_ui.settings(boxes, key), boxes)

    ids = {render.dom_id(n.id): n.id for n in graph.nodes}
    marks = {render.dom_id(node): cls
             for node, cls in modules_ui.drawn(boxes, highlight or {}).items()}
    lines = {render.dom_id(n.id): n.attrs["line"] for n in graph.nodes
             if n.kind == "op" and isinstance(n.attrs.get("line"), int)}
    def shown(node: str) -> str:  # a node hidden in a closed box: the box
        return render.dom_id(boxes.drawn_as.get(node, node) if boxes else node)

    drawn = boxes.graph if boxes is not None and boxes.drawn_as else graph  # boxes closed
    if layout_big.routed(drawn, view):  # too big for dot in time: laid out here, a canvas
        st.caption(bigview.CAPTION.format(n=len(drawn.nodes)))
        boxed = render_modules.decorate(boxes, decoration) if drawn is not graph else decoration
        clicked = bigview.big_viewer(
            bigview.scene_of(drawn, digest(drawn), decoration_json(boxed)),
            key=f"{key}.big", height=height, highlight=marks, lines=lines,
            focus=shown(focus[0]) if focus else None,
            focus_token=focus[1] if focus else 0,
            selected=shown(st.session_state.get(f"{key}.node") or ""))
    elif render.dot_available():
        clicked = graph_viewer(svg_text(dot()), key=f"{key}.viewer", height=height,
                               highlight=marks,
                               focus=shown(focus[0]) if focus else None,
                               focus_token=focus[1] if focus else 0, lines=lines,
                               held={render.dom_id(n): v
                                     for n, v in linked.held_lines(graph).items()},
                               selected=shown(st.session_state.get(f"{key}.node") or ""))
    else:
        st.graphviz_chart(dot(), height=height)
        st.caption("Graphviz's dot is not installed on this server: drawn in the browser, "
                   "without zoom or selection.")
        clicked = None
    if modules_ui.clicked(boxes, key, clicked):
        st.rerun()  # draw the box opened or closed
    clicked_node = ids.get((clicked or "").split("#", 1)[0])  # ghost copies end in #k
    if clicked_node and clicked_node != st.session_state.get(f"{key}.last_click"):
        st.session_state[f"{key}.last_click"] = clicked_node
        st.session_state[f"{key}.node"] = clicked_node
        st.rerun()  # draw the selection and the picker in step with the click
    return st.session_state.get(f"{key}.node")


def node_picker(graph: Graph, *, key: str, label: str = "Inspect a node") -> str | None:
    """A searchable list of the graph's nodes, kept in step with clicks in the viewer."""
    ids = [n.id for n in graph.nodes]
    if st.session_state.get(f"{key}.node") not in ids:
        st.session_state[f"{key}.node"] = None
    return st.selectbox(label, ids, key=f"{key}.node", index=None,
                        placeholder="click a node in the graph, or pick one here")


def show_details(graph: Graph, node_id: str | None) -> None:
    if not node_id:
        return
    node = graph.node(node_id)
    rows = details.node_rows(graph, node)
    st.table({"": [r[0] for r in rows], "value": [r[1] for r in rows]}, hide_index=True,
             hide_header=True, border="horizontal")
    saved = details.saved_rows(node)
    if saved:
        st.caption("Saved for backward: the tensors autograd keeps until the backward pass.")
        st.table(saved, hide_index=True)


def downloads(graph: Graph, *, key: str, view: str, name: str,
              boxes: render_modules.ModuleView | None = None) -> None:
    """DOT, JSON, SVG and PNG of the graph, with its module boxes as they are drawn."""
    boxes_key = modules_ui.settings(boxes, key)  # read now: the session, as it is drawn

    def dot() -> str:  # made when a download is asked for, not on every rerun
        return dot_text(graph, digest(graph), view, "{}", boxes_key, boxes)

    cols = st.columns(4)
    cols[0].download_button("DOT", dot, f"{name}.dot", "text/vnd.graphviz", key=f"{key}.dl.dot",
                            on_click="ignore")
    cols[1].download_button("JSON", lambda: graph.dumps(indent=1), f"{name}.json",
                            "application/json", key=f"{key}.dl.json", on_click="ignore")
    if render.dot_available():
        cols[2].download_button("SVG", lambda: svg_download(dot()), f"{name}.svg",
                                "image/svg+xml", key=f"{key}.dl.svg", on_click="ignore")
        cols[3].download_button("PNG", lambda: png_bytes(dot()), f"{name}.png", "image/png",
                                key=f"{key}.dl.png", on_click="ignore")
