"""Modules as boxes on a graph: the "Module depth shown" choice, and a click on a module's
box (closed) or its cluster's label (open) flipping that one call. The grouping itself is
``explorer.render_modules``; this keeps the choices in the session, per graph."""
from __future__ import annotations

import streamlit as st

from explorer import render_clusters, render_modules
from explorer.graph import Graph
from pages.ui import graph_memo

ALL = "all"  # the first choice: every module call open


def _toggled_key(key: str) -> str:
    return f"{key}.modules.toggled"


def controls(graph: Graph, key: str,
             modules: dict | None = None) -> render_modules.ModuleView | None:
    """The view of ``graph`` that the depth choice (drawn below the graph by ``choice``, so
    the graph stays where it was) and the clicks so far ask for; None where no op ran inside
    a module call. ``modules``: the torch run's, for a TF graph."""
    calls = graph_memo.memo(graph, ("module_calls", id(modules)),
                            lambda: render_modules.module_calls(graph, modules), modules)
    if not calls.calls:
        return None
    chosen = st.session_state.get(f"{key}.modules.depth", ALL)
    depth = None if chosen == ALL or not isinstance(chosen, int) else chosen
    toggled = frozenset(st.session_state.get(_toggled_key(key), ()))
    return graph_memo.memo(
        graph, ("boxes", id(modules), depth, toggled),
        lambda: render_modules.collapse(graph, depth, toggled, modules, calls), modules)


def choice(view: render_modules.ModuleView | None, key: str) -> None:
    """The "Module depth shown" choice for the graph ``view`` is of."""
    if view is None:
        return
    if len(view.clusters) > render_clusters.MAX_MODULE_CLUSTERS:
        st.caption(f"{len(view.clusters)} module calls open: too many to draw as boxes "
                   "around their nodes; close them to a depth here to see them as boxes.")
    stops = [ALL, *range(view.deepest)]
    if st.session_state.get(f"{key}.modules.depth", ALL) not in stops:
        st.session_state[f"{key}.modules.depth"] = ALL  # a shallower model than the last
    st.selectbox(
        "Module depth shown", stops, key=f"{key}.modules.depth",
        on_change=lambda: st.session_state.pop(_toggled_key(key), None),  # all to the depth
        format_func=lambda v: "all open" if v == ALL else
        "each top-level module one box" if v == 0 else f"modules deeper than {v} closed",
        help="Module calls nested deeper than this are drawn closed, as one box with its "
             "input and output shapes (0: each top-level module is one box). Click a box to "
             "open it, a module's label to close it.")


def settings(view: render_modules.ModuleView | None, key: str) -> str:
    """What the drawing depends on, as a cache key."""
    if view is None:
        return ""
    depth = st.session_state.get(f"{key}.modules.depth")
    return f"{depth}|{sorted(st.session_state.get(_toggled_key(key), ()))}"


def clicked(view: render_modules.ModuleView | None, key: str, dom_id: str | None) -> bool:
    """A click on a box or a cluster label flips that call; True when it did (rerun)."""
    if view is None or not dom_id:
        return False
    call = view.dom.get(dom_id.split("@", 1)[0])  # the viewer adds a click stamp
    last = f"{key}.modules.last"
    if call is None or st.session_state.get(last) == dom_id:
        return False
    st.session_state[last] = dom_id
    toggled = set(st.session_state.get(_toggled_key(key), ()))
    toggled ^= {call}
    st.session_state[_toggled_key(key)] = toggled
    return True


def drawn(view: render_modules.ModuleView | None, marks: dict[str, str]) -> dict[str, str]:
    """Highlights of nodes hidden in a closed box go to the box."""
    if view is None:
        return marks
    out = {}
    for node, cls in marks.items():
        out.setdefault(view.drawn_as.get(node, node), cls)
    return out
