"""Linked selection across the editor and both graphs: one line, lit up everywhere.

The page keeps one *linked line* in the session. A click on a node in either graph makes its
line the linked one (``follow``); the line picker sets it directly. The editor marks the line
(``current``), and each graph lights up the nodes that line made (``highlight``), so a node
picked in the autograd graph shows its twin ops in the tf.function graph. The line survives a
re-run: it is a line of the code, not a node of one run.
"""
from __future__ import annotations

import streamlit as st

from explorer import linked
from explorer.graph import Graph

LINE = "linked.line"      # the linked line (int) or None
PICK = "linked.pick"      # the picker's widget state, kept in step with LINE
FROM = "linked.from"      # per graph key: the node whose click last set the line
LINKED_CLASS = "gx-linked"


def current() -> int | None:
    return st.session_state.get(LINE)


def highlight(graph: Graph, selected: str | None = None) -> dict[str, str]:
    """Node id -> viewer class for the linked line's nodes of ``graph``."""
    return {node: LINKED_CLASS for node in linked.nodes_of_line(graph, current())
            if node != selected}


def follow(graph: Graph, key: str, node: str | None) -> None:
    """A node newly selected in graph ``key`` links its line (and redraws the page with it)."""
    sources = st.session_state.setdefault(FROM, {})
    if not node or sources.get(key) == node:
        return
    sources[key] = node
    line = linked.line_of(graph, node)
    if line is not None and line != current():
        st.session_state[LINE] = line
        st.rerun()


def _picked() -> None:
    st.session_state[LINE] = st.session_state.get(PICK)


def line_picker(code: str, *graphs: Graph | None) -> None:
    """Pick a line of the code: its nodes light up in both graphs."""
    counts = linked.lines(*graphs)
    if not counts:
        return
    text = code.splitlines()
    options = sorted(counts)
    if current() not in options:
        st.session_state[LINE] = None
    st.session_state[PICK] = current()  # before the widget: a click may have moved it

    def label(line: int) -> str:
        source = text[line - 1].strip() if 0 < line <= len(text) else ""
        return f"line {line}: {source[:60]} ({counts[line]} nodes)"

    st.selectbox("Show a line's nodes in both graphs", options, key=PICK,
                 format_func=label, on_change=_picked,
                 placeholder="pick a line, or click a node in either graph")
