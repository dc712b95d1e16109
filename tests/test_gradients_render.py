"""Gradient flow as DOT attributes: widths and colours worked out by hand on a log scale,
flags over the scale, and keys that are the graph's own edges."""
from __future__ import annotations

import subprocess
import sys

import pytest

from explorer import lessons, render_flow
from explorer.graph import Graph
from explorer.jobs import grads


def edge(src: str, dst: str, norm, flag=None) -> dict:
    return {"src": src, "dst": dst, "grad_norm": norm, "flag": flag}


def test_width_and_colour_follow_the_log_of_the_norm():
    styles = render_flow.edge_styles([edge("a", "b", 1e-2), edge("b", "c", 1.0),
                                      edge("c", "d", 1e2)])
    # log10 norms -2, 0, 2 sit at 0, 1/2, 1 of the range: widths 0.8, 3.4, 6.0
    assert [styles[k]["penwidth"] for k in [("a", "b"), ("b", "c"), ("c", "d")]] == \
        ["0.80", "3.40", "6.00"]
    assert [styles[k]["color"] for k in [("a", "b"), ("b", "c"), ("c", "d")]] == \
        [render_flow.RAMP[0], render_flow.RAMP[3], render_flow.RAMP[-1]]
    assert styles[("b", "c")]["tooltip"] == "gradient norm 1"


def test_a_fixed_scale_keeps_widths_comparable_between_runs():
    styles = render_flow.edge_styles([edge("a", "b", 10.0)], scale=(-1.0, 3.0))
    assert styles[("a", "b")]["penwidth"] == "3.40"  # log10 10 = 1 is halfway from -1 to 3


def test_flags_win_over_the_scale_and_missing_gradients_are_dotted():
    styles = render_flow.edge_styles([edge("a", "b", 1e-9, "vanishing"),
                                      edge("b", "c", "nan", "nonfinite"),
                                      edge("c", "d", None)])
    assert styles[("a", "b")]["style"] == "dashed" and styles[("a", "b")]["color"] == "#8e44ad"
    assert styles[("b", "c")]["color"] == "#c0392b" and styles[("b", "c")]["penwidth"] == "6.00"
    assert styles[("c", "d")]["style"] == "dotted"
    assert "barely learns" in styles[("a", "b")]["tooltip"]


def test_stepper_marks_done_current_and_pending():
    styles = render_flow.step_styles(["sum", "addmm", "t"], 1)
    assert styles["sum"] == render_flow.STEP_STYLE["done"]
    assert styles["addmm"] == render_flow.STEP_STYLE["current"]
    assert styles["t"] == {}


def test_merge_lays_the_stepper_over_the_flags():
    merged = render_flow.merge({"a": {"color": "red", "penwidth": "2"}},
                               {"a": {"fillcolor": "yellow", "penwidth": "3"}, "b": {"x": "1"}})
    assert merged == {"a": {"color": "red", "penwidth": "3", "fillcolor": "yellow"},
                      "b": {"x": "1"}}

def test_styles_are_keyed_by_the_graphs_own_edges_and_nodes():
    result = grads.run({"code": lessons.default().code})
    graph = Graph.from_json(result["graph"])
    edges = {(e.src, e.dst) for e in graph.edges}
    styles = render_flow.edge_styles(result["edges"])
    assert styles and set(styles) <= edges
    assert set(render_flow.node_styles(result["nodes"])) == \
        {n.id for n in graph.nodes if n.kind == "op"}


@pytest.mark.parametrize("module", ["explorer.render_flow", "explorer.gradients.flags"])
def test_the_page_side_never_imports_torch(module):
    code = f"import sys, {module}; assert 'torch' not in sys.modules, 'torch imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
