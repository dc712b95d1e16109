"""The big-graph viewer: a graph laid out by ``explorer.layout_big`` drawn on a <canvas>, with
zoom, pan, fit, an overview strip, and a click that selects a node. Same contract as
``pages.ui.viewer.graph_viewer`` (DOM ids of ``render.dom_id``, the same highlight classes)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

from explorer import layout_big, render
from explorer.graph import Graph

HERE = Path(__file__).parent
# the toolbar is the SVG viewer's (viewer.css), the canvas and overview strip are its own
_BIGVIEW = st.components.v2.component(
    "big_graph_viewer", js=(HERE / "bigview.js").read_text(),
    css=(HERE / "viewer.css").read_text() + (HERE / "bigview.css").read_text())


def big_viewer(scene: dict, *, key: str, selected: str | None = None,
               highlight: dict[str, str] | None = None, height: int = 560,
               hint: str | None = None, focus: str | None = None, focus_token: int = 0,
               lines: dict[str, int] | None = None) -> str | None:
    """Draw ``scene`` (``layout_big.scene``); return the DOM id of the node last clicked.

    ``highlight`` maps DOM ids to the viewer's classes (gx-linked, gx-match, gx-added, ...);
    the zoom is kept across reruns while the scene stays the same; ``focus`` is panned to
    once per new ``focus_token``; hovering lights the nodes of the hovered node's line."""
    text = json.dumps(scene, separators=(",", ":"))
    signature = hashlib.sha1(text.encode()).hexdigest()[:12]
    result = _BIGVIEW(key=key, height=height + 40, default={"selected": None},
                      data={"scene": text, "selected": selected, "highlight": highlight or {},
                            "height": height, "key": key, "signature": signature,
                            "hint": hint, "focus": focus, "focusToken": focus_token,
                            "lines": lines or {}},
                      on_selected_change=lambda: None)
    return result.selected


CAPTION = ("{n:,} nodes in full view: drawn by the big-graph viewer (a layered layout of our "
           "own, on a canvas), not by Graphviz, whose layout takes seconds to minutes at this "
           "size. "
           "Straight lines, no loop blocks; a closed module call is one box (click it to open "
           "it; Module depth below closes them), an open one has no frame. The strip on the "
           "right is the whole graph: click or drag it to go there. The rolled view draws "
           "repeated steps once.")


@st.cache_data(max_entries=8, show_spinner=False)
def scene_of(_graph: Graph, graph_digest: str, decoration_json: str = "{}") -> dict:
    """The laid-out scene of ``_graph`` (keyed by ``graph_digest``, as graph_panel's caches)."""
    deco = json.loads(decoration_json)
    decoration = render.Decoration(node_lines=deco.get("node_lines", {}),
                                   node_style=deco.get("node_style", {}))
    return layout_big.scene(_graph, decoration)
