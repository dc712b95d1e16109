"""The activation family of the twin: every module and functional form run in PyTorch and as
its TF twin on the same numbers; outputs and every gradient checked against torch's own
autograd with numpy. Each row also runs on the points where torch's formulas switch branch
(-3, 3, +-1, +-0.5, 0, 6, 20), where a formula that is right almost everywhere is wrong."""
from __future__ import annotations

import pytest

from explorer import twin
from explorer.twin import table_activations
from tests.test_twin_table import assert_same_run, run_both

pytestmark = pytest.mark.filterwarnings("ignore:keyword argument `min_value` is deprecated")

SNIPPET = '''import torch
import torch.nn as nn
import torch.nn.functional as F

w = (torch.randn(2, 4, 3) * 3).requires_grad_()
edge = torch.tensor([-3.0, 3.0, -1.0, 1.0, -0.5, 0.5, 0.0, 6.0, 20.0, -20.0, 2.5, 30.0],
                    requires_grad=True)
{module}


def inputs():
    return (torch.randn(2, 4, 3),)


def forward(x):
{body}
'''

# (table key it covers, forward: an expression or a body, TF text the twin must contain,
#  module-level code). An expression ``f(v)`` is run on both ``w * x`` and ``edge``.
ROWS: list[tuple[str, str, str, str]] = [
    ("torch.nn.functional.gelu", "F.gelu(v)", "tt.gelu(", ""),
    ("torch.nn.functional.gelu/tanh", "F.gelu(v, approximate='tanh')", "'tanh'", ""),
    ("torch.nn.functional.silu", "F.silu(v)", "tf.nn.silu(", ""),
    ("torch.nn.functional.relu6", "F.relu6(v)", "tf.nn.relu6(", ""),
    ("torch.nn.functional.mish", "F.mish(v)", "tt.mish(", ""),
    ("torch.nn.functional.hardswish", "F.hardswish(v)", "tt.hardswish(", ""),
    ("torch.nn.functional.hardsigmoid", "F.hardsigmoid(v)", "tt.hardsigmoid(", ""),
    ("torch.nn.functional.logsigmoid", "F.logsigmoid(v)", "tf.math.log_sigmoid(", ""),
    ("torch.nn.functional.softsign", "F.softsign(v)", "tf.nn.softsign(", ""),
    ("torch.nn.functional.tanhshrink", "F.tanhshrink(v)", "tt.tanhshrink(", ""),
    ("torch.nn.functional.leaky_relu", "F.leaky_relu(v, 0.2) + F.leaky_relu(v)",
     "tf.nn.leaky_relu(", ""),
    ("torch.nn.functional.elu", "F.elu(v, alpha=0.7)", "tt.elu(", ""),
    ("torch.nn.functional.selu", "F.selu(v)", "tt.selu(", ""),
    ("torch.nn.functional.celu", "F.celu(v, 1.5)", "tt.celu(", ""),
    ("torch.nn.functional.softplus", "F.softplus(v) + F.softplus(v, beta=2, threshold=1.0)",
     "tt.softplus(", ""),
    ("torch.nn.functional.hardtanh", "F.hardtanh(v) + F.hardtanh(v, max_val=3.0)",
     "tt.hardtanh(", ""),
    ("torch.nn.functional.softmin", "F.softmin(v, dim=0)", "tt.softmin(", ""),
    ("torch.nn.functional.glu", "F.glu(v, 0)", "tt.glu(", ""),
    ("torch.nn.functional.hardshrink", "F.hardshrink(v) + F.hardshrink(v, 1.0)",
     "tt.hardshrink(", ""),
    ("torch.nn.functional.softshrink", "F.softshrink(v, lambd=1.0)", "tt.softshrink(", ""),
    ("torch.nn.functional.threshold", "F.threshold(v, 0.5, -2.0)", "tt.threshold(", ""),
    ("torch.nn.functional.prelu", "F.prelu(v, slope)", "tt.prelu(",
     "slope = torch.tensor([0.3], requires_grad=True)"),
    ("torch.nn.functional.rrelu", "F.rrelu(v, 0.1, 0.3)", "tt.rrelu(", ""),
    ("torch.selu", "torch.selu(v)", "tt.selu(", ""),
    ("torch.celu", "torch.celu(v, alpha=0.5)", "tt.celu(", ""),
    ("torch.hardshrink", "torch.hardshrink(v, 0.25)", "tt.hardshrink(", ""),
    ("torch.prelu", "torch.prelu(v, slope)", "tt.prelu(",
     "slope = torch.tensor([0.1], requires_grad=True)"),
    ("torch.threshold", "torch.threshold(v, 1.0, 0.0)", "tt.threshold(", ""),
    ("torch.rrelu", "torch.rrelu(v)", "tt.rrelu(", ""),
    ("method:hardshrink", "v.hardshrink(0.5)", "tt.hardshrink(", ""),
    ("method:prelu", "v.prelu(slope)", "tt.prelu(",
     "slope = torch.tensor([0.2], requires_grad=True)"),
    # modules
    *[(f"class:{name}", "act(v)", f"nn.{name}({args})",
       f"act = nn.{name}({args})\nact.eval()")
      for name, args in [
          ("GELU", ""), ("GELU", "approximate='tanh'"), ("SiLU", ""), ("SELU", ""),
          ("ReLU6", ""), ("Mish", ""), ("Hardswish", ""), ("Hardsigmoid", ""),
          ("LogSigmoid", ""), ("Softsign", ""), ("Tanhshrink", ""),
          ("LeakyReLU", "0.1"), ("ELU", "alpha=2.0"), ("CELU", "0.5"),
          ("Softplus", "beta=0.5, threshold=2.0"), ("Hardtanh", "-2.0, 2.0"),
          ("Hardtanh", "min_value=-0.5"), ("Softmin", "dim=-1"), ("GLU", "dim=0"),
          ("Hardshrink", ""), ("Softshrink", "0.25"), ("Threshold", "0.1, 20.0"),
          ("RReLU", "0.2, 0.4")]],
    ("class:ReLU6/inplace", "act(v * 1)", "nn.ReLU6(inplace=True)", "act = nn.ReLU6(inplace=True)"),
    ("class:Softmin/scalar", "act(w[0, 0, 0] * 2)", "nn.Softmin(0)", "act = nn.Softmin(0)"),
    ("class:PReLU/scalar", "single(w[0, 0, 0])", "nn.PReLU()", "single = nn.PReLU()"),
    ("class:Softmax2d", "act(w * x)", "nn.Softmax2d()", "act = nn.Softmax2d()"),
    ("class:PReLU", "(act(w * x), single(edge))", "nn.PReLU(4)",
     "act = nn.PReLU(4)\nsingle = nn.PReLU()\nnn.init.uniform_(act.weight, -1.0, 2.0)"),
    # a branch on a tensor's value around the layers: traced by tf.function into an If op
    ("control:if", "if (w * x).sum() > 0:\n        h = act(w * x)\n    else:\n"
                   "        h = F.softplus(w * x, beta=2.0)\n    return h * 2",
     "tt.softplus(w * x, beta=2.0)", "act = nn.Hardswish()"),
]
TRACED = ("control:",)


def _body(forward: str) -> str:
    if "\n" in forward:
        return f"    {forward}"
    if "(v" not in forward and "v." not in forward:
        return f"    return {forward}"
    return f"    v = w * x\n    a = {forward}\n    v = edge\n    return a, {forward}"


def check(code: str, traced: bool) -> str:
    text, torch_run, outputs, grads = run_both(code, traced=traced)
    assert "torch" not in text
    assert_same_run(torch_run, outputs, grads)
    return text


@pytest.mark.parametrize("key, forward, tf_text, module", ROWS, ids=[r[0] for r in ROWS])
def test_row_matches_torch(key: str, forward: str, tf_text: str, module: str) -> None:
    code = SNIPPET.format(module=module, body=_body(forward))
    text = check(code, traced=key.startswith(TRACED))
    assert tf_text in text


def test_every_table_entry_has_a_row() -> None:
    covered = {r[0].split("/")[0] for r in ROWS}
    keys = ({*table_activations.FUNCTIONS}
            | {f"method:{k}" for k in table_activations.METHODS}
            | {f"class:{k}" for k in table_activations.CLASSES})
    assert keys - covered == set()


def test_rrelu_in_training_mode_says_why() -> None:
    """torch draws RReLU's training slopes from its own generator: the twin refuses, in words."""
    code = SNIPPET.format(module="act = nn.RReLU()", body="    return act(w * x)")
    with pytest.raises(Exception, match="RReLU in training mode"):
        run_both(code, traced=False)


def test_unknown_gelu_approximation_is_refused() -> None:
    """torch refuses an approximation other than 'none' and 'tanh'; so does the twin."""
    from explorer.twin import lib as tt

    with pytest.raises(ValueError, match="approximate argument must be either none or tanh"):
        tt.gelu(tt.tf.ones(3), approximate="sigmoid")


@pytest.mark.parametrize("module, body", [
    ("net = nn.Sequential(nn.Linear(3, 6), nn.GELU(), nn.Linear(6, 6), nn.GLU(), nn.PReLU(4))",
     "    return F.softplus(net(x), beta=3.0).sum()"),
    ("act = nn.LeakyReLU(0.3)", "    h = act(w * x)\n    if h.mean() > 0:\n"
                                "        h = F.elu(h)\n    return F.hardtanh(h, -0.5, 0.5)"),
])
def test_compare_end_to_end(module: str, body: str) -> None:
    result = twin.compare(SNIPPET.format(module=module, body=body))
    assert result["status"] == "ok", result.get("message")
    assert result["equivalent"] is True, result["grads"]
