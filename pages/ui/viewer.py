"""The graph viewer widget: SVG with zoom, pan and fit; a click selects a node."""
from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_VIEWER = st.components.v2.component("graph_viewer", js=(HERE / "viewer.js").read_text(),
                                     css=(HERE / "viewer.css").read_text())


def graph_viewer(svg: str, *, key: str, selected: str | None = None,
                 highlight: dict[str, str] | None = None, height: int = 560,
                 hint: str | None = None, focus: str | None = None,
                 focus_token: int = 0, lines: dict[str, int] | None = None,
                 held: dict[str, list[int]] | None = None) -> str | None:
    """Draw ``svg``; return the DOM id of the node last clicked (``render.dom_id`` form).

    ``highlight`` maps DOM ids to CSS classes of viewer.css (gx-added, gx-taken, gx-current,
    gx-done, gx-linked, gx-match); the zoom is kept across reruns while the SVG stays the
    same. ``focus`` (a DOM id) is panned to the middle once per new ``focus_token``;
    hovering a node lights lightly the nodes whose ``lines`` entry (DOM id -> line) is its,
    and the control-flow ops whose ``held`` lines (DOM id -> lines of their branches) hold it."""
    signature = hashlib.sha1(svg.encode()).hexdigest()[:12]
    result = _VIEWER(key=key, height=height + 40, default={"selected": None},
                     data={"svg": svg, "selected": selected, "highlight": highlight or {},
                           "height": height, "key": key, "signature": signature, "hint": hint,
                           "focus": focus, "focusToken": focus_token,
                           "lines": lines or {}, "held": held or {}},
                     on_selected_change=lambda: None)
    return result.selected
