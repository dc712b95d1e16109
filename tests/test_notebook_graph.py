"""``explorer.graph(y)`` on live tensors: the same picture as ``python -m explorer graph`` for
the same code, every autograd Node torch's own walk finds, saving, views, a light import."""
from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch

import explorer
from explorer import execution, render, snippet
from explorer.__main__ import main
from explorer.graph import Graph
from tests.conftest import SNIPPETS

needs_dot = pytest.mark.skipif(not render.dot_available(), reason="Graphviz is not installed")


def notebook_run(path, seed=0):
    """The snippet as a notebook user runs it: its module level as cells, the inputs as
    globals named as forward's parameters, forward called by hand."""
    scope: dict = {"__name__": "__main__"}
    torch.manual_seed(seed)
    exec(compile(path.read_text(), str(path), "exec"), scope)
    args = scope["inputs"]()
    args = args if isinstance(args, tuple) else (args,)
    params = scope["forward"].__code__.co_varnames[:len(args)]
    scope.update(zip(params, args))
    return scope, scope["forward"](*args)


def torch_nodes(y):
    """Every autograd Node behind ``y``, by torch's own ``next_functions`` (recursive)."""
    seen = {}

    def visit(fn):
        if fn is None or fn in seen:
            return
        seen[fn] = fn.name().rsplit("::", 1)[-1]
        for nxt, _ in fn.next_functions:
            visit(nxt)
    visit(y.grad_fn)
    return Counter(seen.values())


@pytest.mark.parametrize("name, view", [("rnn_steps.py", "rolled")])
def test_the_live_graph_is_what_the_cli_draws_for_the_same_code(tmp_path, name, view):
    out = tmp_path / "cli.dot"
    assert main(["graph", str(SNIPPETS / name), "--format", "dot", "--view", view,
                 "-o", str(out)]) == 0
    scope, y = notebook_run(SNIPPETS / name)
    live = explorer.graph(y, view=view, names=scope)
    assert live.dot() == out.read_text()
    assert main(["graph", str(SNIPPETS / name), "-o", str(tmp_path / "cli.json")]) == 0
    cli = Graph.from_json(json.loads((tmp_path / "cli.json").read_text()))
    assert [(n.id, n.kind, n.op, n.shape) for n in live.graph.nodes] == \
        [(n.id, n.kind, n.op, n.shape) for n in cli.nodes]
    assert live.graph.edges == cli.edges


LESSONS = sorted((Path(explorer.__file__).parent / "lessons").glob("[0-9]*.py"))
SHAPES = [SNIPPETS / "capture_shared.py", SNIPPETS / "example_if_twice.py"]  # ghosts, an if


@pytest.mark.parametrize("path", LESSONS + SHAPES, ids=lambda p: p.stem)
def test_every_lesson_draws_the_same_dot_live_as_in_the_engine(path):
    """The CLI's graph job is this engine run, its JSON read back, then ``render.to_dot``;
    nested inputs (a list of sequences, a tree) are named as forward's arguments too."""
    try:
        run = execution.execute(path.read_text(), seed=0)
    except snippet.SnippetError:
        pytest.skip("an error lesson: its forward fails on purpose")
    scope, y = notebook_run(path)
    assert explorer.graph(y, names=scope).dot() == \
        render.to_dot(Graph.from_json(run.to_json()["graph"]))


def test_every_autograd_node_torch_walks_is_one_op_node():
    scope, y = notebook_run(SNIPPETS / "rnn_steps.py")
    live = explorer.graph(y, names=scope)
    assert Counter(n.op for n in live.graph.nodes if n.kind == "op") == torch_nodes(y)
    assert {n.id for n in live.graph.nodes if n.kind == "param"} == {"cell.weight", "cell.bias"}
    assert [n.id for n in live.graph.nodes if n.kind == "input"] == ["sequence"]


cell = torch.nn.Linear(3, 3)


def test_leaves_are_named_from_the_callers_globals():
    x = torch.randn(2, 3)
    h = cell(x)  # a result of an op in the caller's scope is not a leaf: it is not named
    live = explorer.graph(torch.tanh(h).sum())
    assert {n.id for n in live.graph.nodes if n.kind == "param"} == {"cell.weight", "cell.bias"}
    assert not [n for n in live.graph.nodes if n.id == "h"]


@needs_dot
def test_svg_html_and_save_in_every_format(tmp_path):
    scope, y = notebook_run(SNIPPETS / "capture_shared.py")
    live = explorer.graph(y, names=scope)
    svg = live._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    page = live._repr_html_()
    assert page.count("<svg") == 1 and "viewBox" in page and "gx-graph" in page
    assert "pointerdown" in page  # the app's viewer script, read from pages/ui/viewer.js
    for suffix in ("svg", "png", "dot", "json"):
        live.save(tmp_path / f"g.{suffix}")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "g.dot").read_text() == live.dot()
    assert Graph.from_json(json.loads((tmp_path / "g.json").read_text())).to_json() == \
        live.graph.to_json()
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.dot, \.json"):
        live.save(tmp_path / "g.pdf")


def test_rolled_and_full_views():
    scope, y = notebook_run(SNIPPETS / "rnn_steps.py")
    live = explorer.graph(y, names=scope)
    assert "\u00d7 11" in live.view("rolled").dot() and "\u00d7" not in live.view("full").dot()
    assert live.view("rolled").graph is live.graph
    with pytest.raises(ValueError, match="rolled"):
        live.view("sideways")


def test_graph_of_something_else_is_refused():
    with pytest.raises(TypeError, match="tensor"):
        explorer.graph([1, 2])


def test_import_explorer_is_light_and_both_names_stay_modules():
    code = ("import sys, explorer, explorer.graph, explorer.compare\n"
            "heavy = [m for m in ('torch', 'tensorflow', 'numpy') if m in sys.modules]\n"
            "print(heavy, explorer.graph.Graph.__name__, callable(explorer.graph),"
            " explorer.compare.comparison.__name__)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.split() == ["[]", "Graph", "True", "comparison"]


@needs_dot
def test_a_click_can_show_each_drawn_node_and_only_those():
    scope, y = notebook_run(SNIPPETS / "rnn_steps.py")
    rolled = explorer.graph(y, view="rolled", names=scope)
    drawn = set(re.findall(r'<g id="([^"]+)" class="node"', rolled.svg()))
    (found,) = re.findall(r'data-details="([^"]*)"', rolled._repr_html_())
    rows = json.loads(html.unescape(found))
    assert set(rows) == drawn and len(drawn) < len(rolled.graph.nodes)
    assert dict(rows["node_cell.weight"])["kind"] == "parameter (leaf, requires grad)"
