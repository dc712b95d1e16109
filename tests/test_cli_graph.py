"""``python -m explorer graph``: formats, views, errors on stderr with a non-zero exit."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from explorer import render
from explorer.__main__ import main
from explorer.graph import Graph
from tests.conftest import SNIPPETS

IF_TWICE = str(SNIPPETS / "example_if_twice.py")


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_json_to_stdout_is_the_graph_model():
    result = cli("graph", IF_TWICE)
    assert result.returncode == 0, result.stderr
    graph = Graph.from_json(json.loads(result.stdout))
    assert graph.framework == "torch" and graph.lint() == []
    assert {n.id for n in graph.nodes if n.kind == "param"} == \
        {"linear_layer.weight", "linear_layer.bias"}


def test_dot_and_svg_to_files(tmp_path):
    assert main(["graph", IF_TWICE, "--format", "dot", "-o", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph G {")
    if render.dot_available():
        assert main(["graph", IF_TWICE, "--format", "svg", "-o", str(tmp_path / "g.svg")]) == 0
        assert "<svg" in (tmp_path / "g.svg").read_text()


def test_seed_changes_the_graph_of_a_data_dependent_snippet(tmp_path):
    sizes = set()
    for seed in range(4):
        out = tmp_path / f"{seed}.json"
        assert main(["graph", IF_TWICE, "--seed", str(seed), "-o", str(out)]) == 0
        sizes.add(len(json.loads(out.read_text())["nodes"]))
    assert len(sizes) == 2


def test_rolled_view_from_the_cli(tmp_path):
    out = tmp_path / "r.dot"
    assert main(["graph", str(SNIPPETS / "rnn_steps.py"), "--format", "dot", "--view",
                 "rolled", "-o", str(out)]) == 0
    assert "\u00d7 11" in out.read_text()


def test_user_error_exits_non_zero_with_the_line_on_stderr():
    code = "import torch\ndef inputs():\n    return torch.ones(2, 3)\n" \
           "def forward(x):\n    return x @ x\n"
    result = cli("graph", "-", stdin=code)
    assert result.returncode == 1 and result.stdout == ""
    assert "line 5: RuntimeError" in result.stderr and "return x @ x" in result.stderr
    assert "Traceback" not in result.stderr


def test_syntax_error_and_lesson_argument():
    result = cli("graph", "-", stdin="def forward(:\n")
    assert result.returncode == 1 and "line 1: SyntaxError" in result.stderr
    assert main(["graph", "lesson:data_dependent_if", "--format", "dot", "-o", "/dev/null"]) == 0
    with pytest.raises(SystemExit, match="no lesson 'nope'"):
        main(["graph", "lesson:nope"])


def test_timeout_is_reported():
    code = "import torch\ndef inputs():\n    return torch.ones(1)\n" \
           "def forward(x):\n    while True:\n        pass\n"
    result = cli("graph", "-", "--timeout", "8", stdin=code)
    assert result.returncode == 1 and "longer than 8 s" in result.stderr
    assert "line 5" in result.stderr or "line 6" in result.stderr  # while True: / pass
