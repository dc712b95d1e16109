"""The torch.cond rewrite on the shapes of code people write that the lessons do not have: an
arm that leaves a tensor as it was (``if loss > 1: loss = loss + ...``: a branch may not give
back its own input, so the rewrite copies it) and an ``if`` inside a module's ``forward``
method (``self`` stays a closure). Each is checked against torch.export of the same cond code
written by hand, and against eager torch."""
from __future__ import annotations

import runpy
import tempfile
from pathlib import Path

import torch
import torch.nn as nn

from explorer.modes import export as export_mode

UNCHANGED_ARM = """import torch
from torch import nn

net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                    nn.Linear(4 * 6 * 6, 5))

def inputs():
    return torch.randn(3, 1, 6, 6), torch.tensor([0, 3, 1])

def forward(x, y):
    logits = net(x)
    loss = nn.functional.cross_entropy(logits, y)
    if loss > 1.0:
        loss = loss + 0.1 * logits.pow(2).mean()
    return loss
"""

IN_A_METHOD = """import torch
from torch import nn

class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(4, 4)

    def forward(self, x):
        h = self.inner(x)
        if h.mean() > 0:
            h = h.relu()
        else:
            h = -h
        return h

model = Gate()

def inputs():
    return torch.randn(2, 4)

def forward(x):
    return model(x).sum()
"""


def aten(ep: torch.export.ExportedProgram) -> list[str]:
    return sorted(str(n.target) if isinstance(n.target, torch._ops.OpOverload)
                  else n.target.__name__ for gm in ep.graph_module.modules()
                  if isinstance(gm, torch.fx.GraphModule)
                  for n in gm.graph.nodes if n.op == "call_function")


def eager(code: str) -> torch.Tensor:
    """The snippet's forward on its inputs, in a plain Python run of the file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snippet.py"
        path.write_text(code)
        torch.manual_seed(0)
        space = runpy.run_path(str(path))
        args = space["inputs"]()
        return space["forward"](*(args if isinstance(args, tuple) else (args,)))


def test_an_arm_that_leaves_its_tensor_is_exported_with_a_copy():
    view = export_mode.view(UNCHANGED_ARM)
    assert view["status"] == "unsupported" and "torch.cond" in view["message"]
    assert "rewrite_problem" not in view, view.get("rewrite_problem")
    assert "loss.clone()" in view["cond_code"]
    rewrite = view["rewrite"]
    assert rewrite["status"] == "ok" and rewrite["check"]["equivalent"] is True

    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 6 * 6, 5))

    class ByHand(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x, y):
            logits = self.net(x)
            loss = nn.functional.cross_entropy(logits, y)
            return torch.cond(loss > 1.0, lambda lg, ls: (ls + 0.1 * lg.pow(2).mean(),),
                              lambda lg, ls: (ls.clone(),), (logits, loss))[0]

    by_hand = torch.export.export(ByHand(), (torch.randn(3, 1, 6, 6), torch.tensor([0, 3, 1])))
    assert sorted(rewrite["ops"]) == aten(by_hand)


def test_an_if_in_a_modules_forward_is_rewritten_in_place():
    view = export_mode.view(IN_A_METHOD)
    line = next(i for i, text in enumerate(IN_A_METHOD.splitlines(), 1)
                if "if h.mean() > 0" in text)
    assert view["status"] == "unsupported" and view["line"] == line
    assert "rewrite_problem" not in view, view.get("rewrite_problem")
    rewrite = view["rewrite"]
    assert rewrite["status"] == "ok" and rewrite["check"]["equivalent"] is True
    assert "def true_fn" in view["cond_code"] and "(self, h)" not in view["cond_code"]

    class ByHand(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(4, 4)

        def forward(self, x):
            h = self.inner(x)
            return torch.cond(h.mean() > 0, lambda h: (h.relu(),), lambda h: (-h,), (h,))[0]

    by_hand = torch.export.export(ByHand(), (torch.randn(2, 4),))
    assert sorted(rewrite["ops"]) == sorted(aten(by_hand) + ["aten.sum.default"])
    # the rewritten code computes what the user's code computes, in eager torch too
    assert torch.allclose(eager(view["cond_code"]), eager(IN_A_METHOD))
