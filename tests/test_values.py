"""One model of the user's values: a tensor inside a dict, a list, a dataclass and a plain
object gets the same name in the torch graph, the twin check, the gradients page and the
training page; leaves are read after forward (lazy modules); one Run runs the user's code
once. Names are checked against paths written here by hand."""
from __future__ import annotations

import builtins

import pytest
import torch

from explorer import execution, snippet, values
from explorer.jobs import explore, grads
from explorer.training.config import TrainConfig
from explorer.training.torch_loop import TorchTrainer

HOLDERS = '''import torch
import torch.nn as nn
from dataclasses import dataclass


@dataclass
class Pair:
    w: torch.Tensor


class Config:
    def __init__(self):
        self.w = torch.randn(3, requires_grad=True)


layer = nn.Linear(3, 3)
table = {"a": torch.randn(3, requires_grad=True)}
blocks = [torch.randn(3, requires_grad=True)]
pair = Pair(torch.randn(3, requires_grad=True))
cfg = Config()


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    h = layer(x) * table["a"] + blocks[0] * pair.w - cfg.w
    return torch.tanh(h)
'''
# written by hand: the Python path of each module-level tensor
EXPECTED = {"layer.weight", "layer.bias", "table['a']", "blocks[0]", "pair.w", "cfg.w"}


def test_walk_names_every_holder_by_its_python_path() -> None:
    program = snippet.load(HOLDERS)
    assert {name for name, _ in program.module_tensors()} == EXPECTED
    assert [name for name, _ in program.input_tensors()] == ["x"]


def test_the_same_names_in_the_graph_the_twin_the_gradients_and_training() -> None:
    run = execution.execute(HOLDERS)
    graph_names = {n.label for n in run.graph.nodes if n.kind == "param"}
    assert graph_names == EXPECTED
    grads_job = grads.run({"code": HOLDERS})
    assert {n for n, leaf in grads_job["leaves"].items() if leaf["kind"] == "param"} == EXPECTED
    pytest.importorskip("tensorflow")
    from explorer import twin

    check = twin.compare(HOLDERS)
    assert check["status"] == "ok" and check["equivalent"], check.get("message")
    assert {row["name"] for row in check["grads"]} == EXPECTED
    trainer = TorchTrainer(TrainConfig.from_request({"preset": "snippet", "code": HOLDERS}),
                           None)
    assert set(trainer.paths) == EXPECTED


def test_a_shared_child_is_copied_once() -> None:
    child = {"t": torch.ones(2)}
    tree = [child, child]
    copied = values.map_leaves(tree, lambda v: isinstance(v, torch.Tensor), lambda t: t * 2)
    assert copied[0] is copied[1] and copied[0] is not child
    assert torch.equal(copied[0]["t"], torch.full((2,), 2.0))
    assert torch.equal(child["t"], torch.ones(2))  # the original is not changed


LAZY = '''import torch
import torch.nn as nn

layer = nn.LazyLinear(4)


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    return layer(x).sum()
'''


def test_lazy_module_leaves_are_read_after_forward() -> None:
    run = execution.execute(LAZY)
    params = {n.label: n.shape for n in run.graph.nodes if n.kind == "param"}
    assert params == {"layer.weight": [4, 3], "layer.bias": [4]}
    result = grads.run({"code": LAZY})
    assert result["status"] == "ok", result.get("message")
    expected = run.program.namespace["layer"].weight.grad
    program = snippet.load(LAZY)
    program.run_forward()
    program.backward()
    torch.testing.assert_close(torch.tensor(result["leaves"]["layer.weight"]["grad"]),
                               program.namespace["layer"].weight.grad)
    assert expected is not None


COUNTED = '''import builtins
import torch
import torch.nn as nn

ran = builtins.__dict__.setdefault("explorer_test_calls", [])
ran.append(("module", __file__))
layer = nn.Linear(4, 4)
drop = nn.Dropout(P)


def inputs():
    ran.append(("inputs", __file__))
    return (torch.randn(2, 4),)


def forward(x):
    ran.append(("forward", __file__))
    h = drop(layer(x))
    if h.sum() > 0:
        return h.sum()
    return (h * 2).sum()
'''


def _torch_calls(p: str) -> tuple[list[str], dict]:
    builtins.explorer_test_calls = []
    try:
        result = explore.run({"code": COUNTED.replace("P)", f"{p})"), "seed": 0})
        return [what for what, where in builtins.explorer_test_calls
                if where == snippet.SNIPPET_FILE], result  # the twin's own run is "<twin>"
    finally:
        del builtins.explorer_test_calls


def test_one_run_draws_checks_and_traces() -> None:
    pytest.importorskip("tensorflow")
    calls, result = _torch_calls("0.0")
    assert calls == ["module", "inputs", "forward"]
    assert result["twin"]["status"] == "ok" and result["twin"]["equivalent"]
    assert result["twin"]["torch"]["run"] == "drawn"
    assert result["run"]["trace"]["lines"]  # the executed path is of the same run


def test_dropout_in_train_mode_needs_a_second_pass_and_says_so() -> None:
    pytest.importorskip("tensorflow")
    calls, result = _torch_calls("0.5")
    assert calls == ["module", "inputs", "forward"] * 2
    twin = result["twin"]
    assert twin["torch"]["run"] == "second pass"
    assert "second PyTorch run" in twin["message"]
