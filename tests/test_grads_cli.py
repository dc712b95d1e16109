"""``python -m explorer grads``: the issue's JSON shape through the real sandbox, with
torch's own backward (run here, in the test) as the truth for every number."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from explorer import snippet
from explorer.__main__ import main
from explorer.graph import Graph
from explorer.jobs import grads
from tests.conftest import SNIPPETS

LINEAR = str(SNIPPETS / "grads_linear_tanh.py")
WRONG = str(SNIPPETS / "grads_cube_wrong.py")


def reference(path: str, edit=None) -> dict[str, torch.Tensor]:
    program = snippet.load(open(path).read())
    if edit is not None:
        edit(program)
    program.run_forward()
    program.backward()
    return {"layer.weight": program.namespace["layer"].weight.grad,
            "layer.bias": program.namespace["layer"].bias.grad, "x": program.args[0].grad}


def test_json_is_the_issues_shape_with_torchs_numbers():
    done = subprocess.run([sys.executable, "-m", "explorer", "grads", LINEAR, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"leaves", "nodes", "order", "saved_bytes"} <= set(data) and "graph" not in data
    for name, grad in reference(LINEAR).items():
        leaf = data["leaves"][name]
        assert leaf["shape"] == list(grad.shape)
        assert leaf["norm"] == pytest.approx(grad.norm().item(), rel=1e-6)
        assert torch.equal(torch.tensor(leaf["grad"]), grad)
    # Node ids are deterministic: the same as an in-process capture of the same snippet.
    graph = Graph.from_json(grads.run({"code": open(LINEAR).read()})["graph"])
    ops = {n.id for n in graph.nodes if n.kind == "op"}
    assert set(data["nodes"]) == ops and sorted(data["order"]) == sorted(ops)
    assert all(isinstance(n["grad_norm"], float) for n in data["nodes"].values())
    assert data["saved_bytes"] == 104  # x 48 + W^T 24 (addmm) + tanh's result 32


def test_edits_gradcheck_and_graph_on_request(capsys):
    code = main(["grads", LINEAR, "--json", "--input-scale", "2", "--param", "layer.weight",
                 "1,2", "0.25", "--gradcheck", "--with-graph"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)

    def by_hand(program):
        with torch.no_grad():
            program.args[0].mul_(2)
            program.namespace["layer"].weight[1, 2] = 0.25

    for name, grad in reference(LINEAR, by_hand).items():
        assert torch.equal(torch.tensor(data["leaves"][name]["grad"]), grad), name
    assert data["gradcheck"]["ok"] is True and data["gradcheck"]["checked"] == 6 + 2 + 12
    assert Graph.from_json(data["graph"]).lint() == []


def test_table_runs_nodes_in_backward_order_and_fails_a_wrong_backward(capsys):
    assert main(["grads", WRONG, "--gradcheck"]) == 0
    text = capsys.readouterr().out
    order = grads.run({"code": open(WRONG).read()})["order"]
    rows = [line.split()[1] for line in text.splitlines() if line[:1].isdigit()]
    assert rows == order
    assert "Gradient check" in text and "FAILED" in text


def test_errors_name_the_problem_and_exit_non_zero(capsys):
    assert main(["grads", LINEAR, "--param", "layer.wieght", "0,0", "1"]) == 1
    assert "layer.weight" in capsys.readouterr().err  # the names it knows
    with pytest.raises(SystemExit, match="integers"):
        main(["grads", LINEAR, "--param", "layer.weight", "a,b", "1"])
