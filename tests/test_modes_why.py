"""The known causes of a mode's differing gradients, told in plain words (``explorer.modes.why``):
found in the source by hand-written expectations, and on the two lessons where they happen
checked against torch's own gradients computed here."""
from __future__ import annotations

import ast

import pytest
import torch

from explorer import lessons, modes, snippet
from explorer.modes import why

FUNCTION = """import torch
class Clip(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clamp(0, 1)
    @staticmethod
    def backward(ctx, g):
        return g
class Unused(torch.autograd.Function):
    pass
def forward(x):
    y = x * 2
    return Clip.apply(y) + Clip.apply(x)
"""
NO_GRAD = """import torch
def forward(x):
    with torch.no_grad():
        a = x * 2
    with open('f') as f, torch.set_grad_enabled(False):
        b = x
    return a + b
"""
DIFFER = {"status": "ok", "equivalent": False, "max_abs_diff_output": 0.0,
          "max_abs_diff_grads": 1.5, "checked": ["w", "b"],
          "message": "outputs and the gradients of w, b compared; differing: w"}


def test_the_causes_are_found_in_the_source():
    assert why.custom_functions(ast.parse(FUNCTION)) == {"Clip": 13}  # first apply; Unused: none
    assert why.grad_off_blocks(ast.parse(NO_GRAD)) == [3, 5]
    assert why.custom_functions(ast.parse(NO_GRAD)) == {}


def test_a_reason_only_for_its_mode_and_its_symptom():
    text = why.reason("export", FUNCTION, DIFFER)
    assert text.startswith("line 13: `return Clip.apply(y) + Clip.apply(x)`: torch.export")
    assert "not Clip.backward" in text and "so w get" in text and "custom_op" in text
    assert why.reason("trace", NO_GRAD, DIFFER).startswith(
        "line 3: `with torch.no_grad():`: torch.jit.trace records")
    assert why.reason("trace", FUNCTION, DIFFER) is None      # no no_grad block there
    assert why.reason("export", NO_GRAD, DIFFER) is None      # no custom Function there
    for other in ({"equivalent": True}, {"max_abs_diff_output": 0.5}, {"status": "error"}):
        assert why.reason("export", FUNCTION, {**DIFFER, **other}) is None, other
    assert why.annotate("export", NO_GRAD, DIFFER) is DIFFER
    told = why.annotate("export", FUNCTION, DIFFER)
    assert told["message"].endswith(f"({DIFFER['message']})") and told["reason"] in told["message"]


def _eager_grads(code: str) -> dict[str, torch.Tensor]:
    program = snippet.load(code, seed=0)
    program.forward(*program.args).backward()
    return {leaf.name: leaf.tensor.grad for leaf in program.leaves()
            if leaf.tensor.requires_grad}


@pytest.mark.slow
def test_export_of_the_custom_function_lesson_says_its_backward_is_not_kept():
    """round's derivative is zero: the exported program's gradients are zeros, so the gap is
    eager's largest gradient (RoundThrough.backward passes the gradient through)."""
    code = lessons.get("custom_function").code
    check = modes.view("export", code)["check"]
    assert check["equivalent"] is False and check["max_abs_diff_output"] == 0.0
    assert "not RoundThrough.backward" in check["reason"]
    assert check["reason"].startswith("line 26: `steps = RoundThrough.apply(h * 4) / 4`")
    largest = max(float(g.abs().max()) for g in _eager_grads(code).values())
    assert check["max_abs_diff_grads"] == pytest.approx(largest, rel=1e-6)


@pytest.mark.slow
def test_trace_of_the_no_grad_lesson_says_the_block_is_recorded():
    """The traced graph records the no_grad block: its layer gets the gradient that the same
    code without the block's no_grad gives it (computed here), where eager gives none."""
    code = lessons.get("detach_no_grad").code
    check = modes.view("torchscript", code)["trace"]["check"]
    assert check["equivalent"] is False
    assert check["reason"].startswith("line 21: `with torch.no_grad():`")
    assert "unrecorded.bias, unrecorded.weight get gradients" in check["reason"]
    recorded = _eager_grads(code.replace("with torch.no_grad():", "if True:"))
    largest = max(float(recorded[f"unrecorded.{p}"].abs().max()) for p in ("weight", "bias"))
    assert check["max_abs_diff_grads"] == pytest.approx(largest, rel=1e-6)


BOTH = '''import torch
import torch.nn as nn


class RoundThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


layer = nn.Linear(3, 3)


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    h = RoundThrough.apply(layer(x) * 4)
    if h.sum() > 0:
        h = h * 2.0
    else:
        h = h - 1.0
    return (h ** 2).sum()
'''


@pytest.mark.slow
def test_the_torch_cond_rewrite_of_a_custom_function_says_so_at_the_rewrites_line():
    view = modes.view("export", BOTH)
    assert view["status"] == "unsupported" and view["rewrite"]["status"] == "ok"
    check = view["rewrite"]["check"]
    assert check["equivalent"] is False and "not RoundThrough.backward" in check["reason"]
    line = next(i for i, text in enumerate(view["cond_code"].splitlines(), 1)
                if "RoundThrough.apply(" in text)
    assert check["reason"].startswith(f"line {line}: `h = RoundThrough.apply(layer(x) * 4)`")
