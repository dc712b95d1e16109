"""Where each torch node came from: line, module and step against hand-written expectations."""
from __future__ import annotations

from explorer import execution

MODULES = '''import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        h = self.fc(x)
        return self.act(h) + x


model = nn.Sequential(Block(), Block())
head = nn.Linear(4, 1)


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    h = model(x)
    for i in range(2):
        h = h * 2
    return head(h).sum()
'''

# node id -> (line, module), written by reading the snippet above
EXPECTED = {
    "t": (12, "model.0.fc"), "addmm": (12, "model.0.fc"), "tanh": (13, "model.0.act"),
    "add": (13, "model.0"), "t_1": (12, "model.1.fc"), "addmm_1": (12, "model.1.fc"),
    "tanh_1": (13, "model.1.act"), "add_1": (13, "model.1"), "mul": (27, None),
    "mul_1": (27, None), "t_2": (28, "head"), "addmm_2": (28, "head"), "sum": (28, None),
}


def test_lines_modules_and_steps_match_the_code():
    graph = execution.execute(MODULES, backward=False).to_json()["graph"]
    ops = {n["id"]: n["attrs"] for n in graph["nodes"]
           if n["kind"] == "op" and n["op"] != "AccumulateGrad"}
    assert {k: (a.get("line"), a.get("module")) for k, a in ops.items()} == EXPECTED
    assert [s["line"] for s in graph["steps"]] == [25, 12, 13, 12, 13, 26, 27, 26, 27, 26, 28]
    for attrs in ops.values():  # a node appears at a step that ran its own line
        assert graph["steps"][attrs["step"]]["line"] == attrs["line"]
    assert graph["modules"]["model.0"]["type"] == "Block"
    assert graph["modules"]["head"]["out"] == [[2, 1]]


def test_value_of_an_op_is_its_forward_output():
    run = execution.execute(MODULES, backward=False)
    node = next(n for n in run.graph.nodes if n.id == "sum")
    assert node.attrs["value"]["value"] == [run.outputs[0].item()]


def test_value_statistics_are_json_numbers_or_spelled_out():
    import json

    import torch

    from explorer.capture.origin import value_summary
    small = value_summary(torch.tensor([1.0, 2.0, 6.0]))
    assert (small["min"], small["max"], small["mean"]) == (1.0, 6.0, 3.0)
    big = value_summary(torch.arange(40.0))  # beyond the preview: torch computes them
    assert (big["min"], big["max"], big["mean"]) == (0.0, 39.0, 19.5) and big["truncated"]
    bad = value_summary(torch.tensor([float("inf"), 1.0]))
    assert bad["max"] == "inf" and bad["min"] == 1.0
    json.dumps(value_summary(torch.tensor([float("nan")])), allow_nan=False)
