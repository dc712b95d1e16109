"""Linked selection across the editor and both graphs: one line, lit up everywhere.

The page keeps one *linked line* in the session. A click on a node in either graph makes its
line the linked one (``follow``); the line picker sets it directly. The editor marks the line
(``current``), and each graph lights up the nodes that line made (``highlight``), so a node
picked in the autograd graph shows its twin ops in the tf.function graph. The line survives a
re-run: it is a line of the code, not a node of one run. The search box lights up its
matches in both graphs and "Next" pans to each in turn (``focus``).
"""
from __future__ import annotations

import html
import time

import streamlit as st

from explorer import grad_paint, linked, render
from explorer.graph import Graph
from pages.ui import node_grads

LINE = "linked.line"      # the linked line (int) or None
PICK = "linked.pick"      # the picker's widget state, kept in step with LINE
FROM = "linked.from"      # per graph key: the node whose click last set the line
LINKED_CLASS = "gx-linked"
QUERY = "linked.query"    # the search box
HITS = "linked.hits"      # [(graph key, node id)] of the search, PyTorch's first
AT = "linked.at"          # the hit "Next" is at
PRESSES = "linked.presses"  # a token: each press (or new search) pans once
MATCH_CLASS = "gx-match"


def current() -> int | None:
    return st.session_state.get(LINE)


def highlight(graph: Graph, key: str | None = None) -> dict[str, str]:
    """Node id -> viewer class: the linked line's nodes of ``graph``, then (graph ``key``)
    the search's matches."""
    marks = {node: LINKED_CLASS for node in linked.nodes_of_line(graph, current())}
    for hit_key, node in st.session_state.get(HITS, []):
        if hit_key == key:
            marks[node] = MATCH_CLASS
    return marks


def focus(key: str) -> tuple[str, int] | None:
    """(node id, token) of the search hit "next" is at, where it is in graph ``key``."""
    hits = st.session_state.get(HITS, [])
    if not hits:
        return None
    index = st.session_state.get(AT, 0) % len(hits)
    hit_key, node = hits[index]
    return (node, st.session_state.get(PRESSES, 0)) if hit_key == key else None


def _next() -> None:
    st.session_state[AT] = st.session_state.get(AT, 0) + 1
    st.session_state[PRESSES] = st.session_state.get(PRESSES, 0) + 1


def _searched() -> None:
    st.session_state[AT] = 0
    st.session_state[PRESSES] = st.session_state.get(PRESSES, 0) + 1


def search_box(graphs: dict[str, Graph | None]) -> None:
    """A search over both graphs (ops, ids, parameter and module paths, ``line N``): matches
    light up, "Next" pans each graph to its next match in turn."""
    cols = st.columns([4, 1, 2], vertical_alignment="bottom")
    query = cols[0].text_input("Search both graphs", key=QUERY, on_change=_searched,
                               placeholder="an op (addmm, MatMul), a path (model.layer1), line 13")
    hits = [(key, node) for key, graph in graphs.items() if graph is not None
            for node in linked.search(graph, query or "")]
    st.session_state[HITS] = hits
    cols[1].button("Next", key="linked.next", on_click=_next, disabled=not hits,
                   width="stretch")
    if query:
        at = st.session_state.get(AT, 0) % len(hits) + 1 if hits else 0
        names = {"torch": "PyTorch", "tf": "tf.function"}
        where = ", ".join(f"{sum(k == key for k, _ in hits)} in {names.get(key, key)}"
                          for key in graphs if graphs[key] is not None)
        cols[2].caption(f"{at} of {len(hits)} matches ({where})" if hits else "no match")


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


def select_line(line: int | None) -> None:
    """A line selected in the editor (a click on its number in the gutter selects it) links
    it, as a click on one of its nodes does."""
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


def value_decoration(graph: Graph, key: str, request: dict | None = None,
                     job: str = "grads", why_none: str | None = None) -> render.Decoration | None:
    """Toggles that print each node's forward value in it (scalar, or mean and range) and,
    with ``request`` (code, seed, device: a backward run), its gradient's; and that colour
    the nodes by the size of their gradient, with a legend. ``job``: where the gradients
    come from (``node_grads.nodes``); the values are the graph's own (``attrs.value``)
    unless the job gives them (``forward``: the tf.function graph's, ``twin_values``).
    ``why_none``: why no value is printed, said when the toggle finds none."""
    left, right = st.columns(2)
    values = left.toggle("Values on the nodes", key=f"linked.values.{key}",
                         help="Each op's forward output: its value if it is a scalar, else its "
                              "mean and [min, max]; after backward (\u2207) the same of the "
                              "gradient flowing into it.")
    paint = right.toggle("Colour by gradient size", key=f"linked.paint.{key}",
                         help="Each node's fill: the norm of the gradient flowing into it, on "
                              "a log scale over this run.") if request is not None else False
    if not (values or paint):
        return None
    grads = node_grads.nodes(graph, request, job) if request is not None else None
    forward = {n: entry["forward"] for n, entry in (grads or {}).items() if "forward" in entry}
    lines = linked.value_lines(graph, forward or None) if values else {}
    if values and not lines and why_none:
        st.caption(why_none)
    style: dict[str, dict[str, str]] = {}
    if grads is not None:
        for node, extra in (grad_paint.grad_lines(graph, grads) if values else {}).items():
            lines[node] = lines.get(node, []) + extra
        if paint:
            style, legend = grad_paint.grad_fills(graph, grads)
            st.caption(legend)
    return render.Decoration(node_lines=lines, node_style=style)


STEP = "linked.step"  # the stepper's slider: 1 to the number of the run's steps
STEP_CLASSES = {"added": "gx-added", "future": "gx-future"}
PLAYING = "linked.playing"   # Play pressed: the slider advances every TICK seconds
TICKED = "linked.ticked"     # time.monotonic() of the last advance (or of Play)
TICK = 0.7
RAN = "linked.code"          # the code of the run the graphs show


def ran(code: str) -> None:
    """The page names the code its graphs come from (the stepper numbers its loops)."""
    st.session_state[RAN] = code


def _stepped(lines: list[int]) -> None:
    """The slider moved: its step's line becomes the linked one before the page redraws,
    so the editor (drawn first) marks it too."""
    step = st.session_state.get(STEP, 1) - 1
    if 0 <= step < len(lines):
        st.session_state[LINE] = lines[step]


def _play(lines: list[int]) -> None:
    playing = not st.session_state.get(PLAYING, False)
    st.session_state[PLAYING] = playing
    if playing and st.session_state.get(STEP, 1) >= len(lines):
        st.session_state[STEP] = 1  # at the end: play from the start
        _stepped(lines)
    st.session_state[TICKED] = time.monotonic()


@st.fragment(run_every=TICK)
def _ticker(lines: list[int]) -> None:
    """While playing, every TICK seconds: the next step, the whole page redrawn with it (the
    editor's mark, both graphs). The fragment also runs with each page run: it advances only
    when a tick has gone by since the last advance."""
    if not st.session_state.get(PLAYING):
        return
    if time.monotonic() - st.session_state.get(TICKED, 0.0) < 0.8 * TICK:
        return
    step = st.session_state.get(STEP, 1)
    if step >= len(lines):
        st.session_state[PLAYING] = False
    else:
        st.session_state[STEP] = step + 1
        _stepped(lines)
    st.session_state[TICKED] = time.monotonic()
    st.rerun()


def stepper(graph: Graph) -> dict[str, str]:
    """Define-by-run, step by step: a slider over the executed lines of forward; the graph
    shows the ops made so far, the step's new ones in green, later ones faded; the editor and
    the tf.function graph (whole from the first step) mark the step's line. Play advances a
    step every TICK seconds to the end; the caption counts loop iterations."""
    steps = graph.steps or []
    if not steps or not st.toggle("Step through forward", key="linked.stepping",
                                  help="One executed line at a time: the autograd graph "
                                       "grows by the nodes each line made."):
        st.session_state[PLAYING] = False
        return {}
    lines = [s["line"] for s in steps]
    if not 1 <= st.session_state.get(STEP, 1) <= len(steps):
        st.session_state[STEP] = 1
    playing = st.session_state.get(PLAYING, False)
    cols = st.columns([2, 5], vertical_alignment="center")
    cols[0].button("Pause" if playing else "Play", key="linked.play", on_click=_play,
                   args=(lines,), icon=":material/pause:" if playing else ":material/play_arrow:",
                   width="stretch", help=f"A step every {TICK:g} s, to the last one.")
    with cols[1]:
        step = st.slider("Step", 1, max(len(steps), 2), key=STEP, on_change=_stepped,
                         args=(lines,), label_visibility="collapsed") - 1
    st.caption(linked.step_caption(graph, step, st.session_state.get(RAN)))
    if playing:
        _ticker(lines)
    return {node: STEP_CLASSES[mark] for node, mark in linked.step_marks(graph, step).items()}


def backward_highlight(graph: Graph, node: str) -> tuple[int | None, dict[str, str]]:
    """The Gradients page's backward step at ``node``: the line that made it in forward and,
    as on the Explorer page, the other nodes of that line lit (gx-linked); the step's own
    node keeps the stepper's colour."""
    line = linked.line_of(graph, node)
    return line, {n: LINKED_CLASS for n in linked.nodes_of_line(graph, line) if n != node}


def code_view(code: str, line: int | None, *, height: int = 420) -> None:
    """The code, read-only with line numbers, ``line`` shaded as the editor shades the
    linked line."""
    rows = []
    for number, text in enumerate(code.splitlines(), 1):
        mark = ' class="gx-code-linked"' if number == line else ""
        rows.append(f'<div{mark}><span class="gx-code-no">{number}</span>'
                    f"{html.escape(text) or ' '}</div>")
    st.html(f"""<style>
.gx-code {{ font: 13px/1.45 "Source Code Pro", monospace; white-space: pre; overflow: auto;
  max-height: {height}px; border: 1px solid #dde1e6; border-radius: 8px; padding: 4px 0; }}
.gx-code div {{ padding: 0 8px; }}
.gx-code-no {{ display: inline-block; width: 2.5em; color: #9aa0a6; text-align: right;
  margin-right: 1em; user-select: none; }}
.gx-code-linked {{ background: rgba(230, 126, 34, 0.30); }}
</style><div class="gx-code" data-line="{line or ''}">{''.join(rows)}</div>""")
