"""The ``check`` and ``tf_graph`` jobs, and ``python -m explorer check|graph --framework tf``
through the sandbox, checked against torch's own numbers and TF's op types."""
from __future__ import annotations

import json

import pytest

from explorer import snippet
from explorer.__main__ import main
from explorer.graph import Graph
from tests.conftest import SNIPPETS

pytest.importorskip("tensorflow")

IF_TWICE = SNIPPETS / "example_if_twice.py"
CHECK_KEYS = {"status", "torch", "tf", "equivalent", "max_abs_diff_output",
              "max_abs_diff_grads", "message"}


def torch_output(path) -> float:
    return float(snippet.load(path.read_text()).run_forward()[0].detach())


def test_check_job_shape() -> None:
    from explorer.jobs import check

    result = check.run({"code": IF_TWICE.read_text(), "seed": 0})
    assert set(result) >= CHECK_KEYS and "graph" not in result
    assert result["status"] == "ok" and result["equivalent"] is True
    assert result["torch"]["output"]["value"][0] == pytest.approx(torch_output(IF_TWICE))
    assert result["tf"]["output"]["value"][0] == pytest.approx(torch_output(IF_TWICE), rel=1e-5)
    assert {row["name"] for row in result["grads"]} == {"linear_layer.weight", "linear_layer.bias"}


def test_tf_graph_job_shape() -> None:
    from explorer.jobs import tf_graph

    result = tf_graph.run({"code": IF_TWICE.read_text(), "seed": 0})
    assert set(result) == {"status", "graph", "tf_code", "autograph_code", "tf_stdout", "timings"}
    graph = Graph.from_json(result["graph"])
    assert graph.framework == "tf" and graph.lint() == []
    assert "ag__.if_stmt" in result["autograph_code"]
    assert result["tf_code"].startswith("import tensorflow as tf")


def test_jobs_tell_no_twin() -> None:
    from explorer.jobs import check, tf_graph

    code = (SNIPPETS / "capture_custom_function.py").read_text()
    for job in (check, tf_graph):
        result = job.run({"code": code})
        assert (result["status"], result["line"], result["reason"]) == \
            ("no-twin", 4, "autograd_function")
        assert "torch.autograd.Function" in result["construct"]


def test_cli_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(IF_TWICE), "--json", "--timeout", "60"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= CHECK_KEYS and result["equivalent"] is True
    assert result["max_abs_diff_output"] < 1e-5


def test_cli_graph_tf_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(IF_TWICE), "--framework", "tf", "--timeout", "60"]) == 0
    graph = Graph.loads(capsys.readouterr().out)
    [op] = [n for n in graph.nodes if n.op in ("If", "StatelessIf")]
    assert set(op.attrs["subgraphs"].values()) <= set(graph.subgraphs)
    assert graph.node("linear_layer.weight").kind == "param"
