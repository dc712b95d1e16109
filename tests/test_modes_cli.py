"""``python -m explorer graph --framework compile|export|torchscript``: through the sandbox's
worker as every CLI graph is, checked against torch run here (explain's breaks, torch.jit's
nodes) and against the line of the code's text."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from explorer import lessons, render, snippet
from explorer.graph import Graph


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args, "--timeout", "90"],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_compile_json_has_graph_breaks_at_the_users_line() -> None:
    result = cli("graph", "lesson:data_dependent_if", "--framework", "compile")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    code = lessons.default().code
    line = next(i for i, text in enumerate(code.splitlines(), 1) if "if x.sum() > 0" in text)
    assert [b["line"] for b in data["graph_breaks"]] == [line]
    program = snippet.load(code)
    torch._dynamo.reset()
    truth = torch._dynamo.explain(program.forward)(*program.args)
    graph = Graph.from_json(data)
    assert graph.framework == "compile" and graph.lint() == []
    assert len(graph.subgraphs) == truth.graph_count
    assert len(data["graph_breaks"]) == truth.graph_break_count


@pytest.mark.slow
def test_export_svg_draws_the_cond_rewrite_and_says_so(tmp_path) -> None:
    if not render.dot_available():
        pytest.skip("Graphviz's dot is not installed")
    out = tmp_path / "export.svg"
    result = cli("graph", "lesson:data_dependent_if", "--framework", "export", "--format", "svg",
                 "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "torch.export refused: line 12" in result.stderr
    svg = out.read_text()
    assert "<svg" in svg and ">cond<" in svg and "true_fn" in svg and "false_fn" in svg


@pytest.mark.slow
def test_torchscript_json_keeps_prim_if() -> None:
    result = cli("graph", "lesson:data_dependent_if", "--framework", "torchscript")
    assert result.returncode == 0, result.stderr
    graph = Graph.from_json(json.loads(result.stdout))
    scripted = torch.jit.script(snippet.load(lessons.default().code).forward)
    assert [n.op for n in graph.nodes if n.kind in ("op", "const")] == [
        n.kind() for n in scripted.graph.nodes()]
