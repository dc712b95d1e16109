"""The conv family's twins (convolutions, pooling, padding) against PyTorch: each row runs one
snippet in torch and as its TF twin on the same numbers; outputs and the gradient of every
leaf (weights, biases, the inputs) are compared with numpy against torch's own autograd."""
from __future__ import annotations

import pytest

from explorer.twin import table_conv
from explorer.twin.limits import NoTwin
from explorer.twin.rewrite import translate
from tests.test_twin_table import assert_same_run, run_both

twin_run = pytest.importorskip("explorer.twin.run")  # imports TensorFlow once per session
compare = pytest.importorskip("explorer.twin.check").compare
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

SNIPPET = '''import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
w2 = torch.randn(4, 3, 3, 3, requires_grad=True)     # conv2d: (out, in, kh, kw)
wg = torch.randn(6, 1, 3, 2, requires_grad=True)     # grouped conv2d over 3 channels
w1 = torch.randn(5, 3, 3, requires_grad=True)        # conv1d
w3 = torch.randn(2, 2, 2, 3, 2, requires_grad=True)  # conv3d
t2 = torch.randn(3, 2, 3, 3, requires_grad=True)     # conv_transpose2d: (in, out, kh, kw)
t1 = torch.randn(3, 4, 3, requires_grad=True)        # conv_transpose1d
t3 = torch.randn(2, 3, 2, 2, 2, requires_grad=True)  # conv_transpose3d
b = torch.randn(4, requires_grad=True)
{module}


def inputs():
    return (torch.randn(2, 3, 8, 7).requires_grad_(), torch.randn(2, 3, 9).requires_grad_(),
            torch.randn(1, 2, 5, 6, 4).requires_grad_())


def forward(x, s, v):
{body}
'''

# (table key it covers, forward: an expression or a body, TF text the twin must contain,
#  module-level code)
ROWS: list[tuple[str, str, str, str]] = [
    # convolutions as modules
    ("class:Conv2d", "(conv(x), strided(x), same(x), grouped(x), reflect(x), conv(x[0]))",
     "nn.Conv2d(3, 4, 3)",
     "conv = nn.Conv2d(3, 4, 3)\nstrided = nn.Conv2d(3, 5, (3, 2), stride=2, padding=(1, 0), "
     "dilation=(1, 2), bias=False)\nsame = nn.Conv2d(3, 2, 4, padding='same', dilation=2)\n"
     "grouped = nn.Conv2d(3, 6, 3, groups=3, padding='valid')\n"
     "reflect = nn.Conv2d(3, 2, 3, padding=2, padding_mode='reflect')"),
    ("class:Conv2d/padding_modes", "(rep(x), circ(x), zeros(x), same(x))",
     "padding_mode='circular'",
     "rep = nn.Conv2d(3, 2, 3, padding=(1, 2), padding_mode='replicate')\n"
     "circ = nn.Conv2d(3, 2, 3, padding=1, padding_mode='circular', stride=2)\n"
     "zeros = nn.Conv2d(3, 2, 3, padding='same', padding_mode='zeros')\n"
     "same = nn.Conv2d(3, 2, 4, padding='same', padding_mode='reflect')"),
    ("class:Conv1d", "(conv(s), other(s), conv(s[0]))", "nn.Conv1d(3, 4, 3)",
     "conv = nn.Conv1d(3, 4, 3)\nother = nn.Conv1d(3, 6, 4, stride=2, padding=3, dilation=2, "
     "groups=3, padding_mode='circular')\nconv.eval()"),  # eval mode changes nothing here
    ("class:Conv3d", "(conv(v), other(v))", "nn.Conv3d(2, 3, 2)",
     "conv = nn.Conv3d(2, 3, 2)\nother = nn.Conv3d(2, 4, (3, 2, 2), stride=(1, 2, 1), "
     "padding=1, groups=2, bias=False, padding_mode='replicate')"),
    ("class:ConvTranspose2d", "(up(x), other(x), up(x, output_size=(18, 16)))",
     "nn.ConvTranspose2d(3, 4, 3, stride=2)",
     "up = nn.ConvTranspose2d(3, 4, 3, stride=2)\nother = nn.ConvTranspose2d(3, 6, (3, 2), "
     "stride=(2, 3), padding=(1, 2), output_padding=(1, 0), groups=3, dilation=2, bias=False)"),
    ("class:ConvTranspose1d", "(up(s), up(s[1]))", "nn.ConvTranspose1d(3, 2, 4",
     "up = nn.ConvTranspose1d(3, 2, 4, stride=3, padding=2, output_padding=1)"),
    ("class:ConvTranspose3d", "up(v)", "nn.ConvTranspose3d(2, 3, 2",
     "up = nn.ConvTranspose3d(2, 3, 2, stride=2, padding=(1, 0, 0))"),
    *[(f"class:Lazy{kind}{n}d", f"lazy({arg})", f"nn.Lazy{kind}{n}d(4, 2",
       f"lazy = nn.Lazy{kind}{n}d(4, 2{extra})\nlazy(torch.randn({shape}))")
      for kind, extra in (("Conv", ", padding=1"), ("ConvTranspose", ", stride=2"))
      for n, arg, shape in ((1, "s", "1, 3, 9"), (2, "x", "1, 3, 8, 7"),
                            (3, "v", "1, 2, 5, 6, 4"))],
    # pooling as modules
    ("class:MaxPool2d", "(pool(x), other(x), pool(x[0]))", "nn.MaxPool2d(2)",
     "pool = nn.MaxPool2d(2)\nother = nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, "
     "dilation=(2, 1), ceil_mode=True)"),
    ("class:MaxPool2d/indices", "(*pool(x), *pool(x[1]))", "return_indices=True",
     "pool = nn.MaxPool2d(3, stride=2, padding=1, dilation=(1, 2), return_indices=True, "
     "ceil_mode=True)"),
    ("class:MaxPool1d", "(pool(s), other(s), apart(s))", "nn.MaxPool1d(2)",
     "pool = nn.MaxPool1d(2)\nother = nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True)\n"
     "apart = nn.MaxPool1d(2, stride=3)"),
    ("class:MaxPool3d", "(pool(v), other(v))", "nn.MaxPool3d(2",
     "pool = nn.MaxPool3d(2, padding=1)\nother = nn.MaxPool3d((2, 3, 2), stride=1, dilation=2)"),
    ("class:AvgPool2d", "(pool(x), other(x), exclude(x), divided(x), pool(x[1]))",
     "nn.AvgPool2d(2)",
     "pool = nn.AvgPool2d(2)\nother = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)\n"
     "exclude = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)\n"
     "divided = nn.AvgPool2d((2, 3), divisor_override=4)"),
    ("class:AvgPool1d", "(pool(s), other(s))", "nn.AvgPool1d(3",
     "pool = nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False)\n"
     "other = nn.AvgPool1d(2, ceil_mode=True)"),
    ("class:AvgPool3d", "(pool(v), other(v))", "nn.AvgPool3d(2",
     "pool = nn.AvgPool3d(2, ceil_mode=True)\nother = nn.AvgPool3d(3, stride=2, padding=1, "
     "count_include_pad=False, divisor_override=5)"),
    ("class:AdaptiveAvgPool2d", "(pool(x), other(x), pool(x[0]))", "nn.AdaptiveAvgPool2d(",
     "pool = nn.AdaptiveAvgPool2d((3, 5))\nother = nn.AdaptiveAvgPool2d((None, 1))"),
    ("class:AdaptiveAvgPool1d", "pool(s)", "nn.AdaptiveAvgPool1d(4)",
     "pool = nn.AdaptiveAvgPool1d(4)"),
    ("class:AdaptiveAvgPool3d", "pool(v)", "nn.AdaptiveAvgPool3d(",
     "pool = nn.AdaptiveAvgPool3d((2, 4, 3))"),
    ("class:AdaptiveMaxPool2d", "(pool(x), other(x))", "nn.AdaptiveMaxPool2d(",
     "pool = nn.AdaptiveMaxPool2d(3)\nother = nn.AdaptiveMaxPool2d((5, None))"),
    ("class:AdaptiveMaxPool2d/indices", "pool(x)", "return_indices=True",
     "pool = nn.AdaptiveMaxPool2d((3, 5), return_indices=True)"),
    ("class:AdaptiveMaxPool1d", "(pool(s), *indexed(s))", "nn.AdaptiveMaxPool1d(4)",
     "pool = nn.AdaptiveMaxPool1d(4)\nindexed = nn.AdaptiveMaxPool1d(5, return_indices=True)"),
    ("class:AdaptiveMaxPool3d", "pool(v)", "nn.AdaptiveMaxPool3d(",
     "pool = nn.AdaptiveMaxPool3d((3, 2, 4))"),
    ("class:LPPool2d", "(pool(x), other(x))", "nn.LPPool2d(2, 2)",
     "pool = nn.LPPool2d(2, 2)\nother = nn.LPPool2d(1.5, (3, 2), stride=2, ceil_mode=True)"),
    ("class:LPPool1d", "(pool(s.abs()), apart(s))", "nn.LPPool1d(3, 2)",
     "pool = nn.LPPool1d(3, 2)\napart = nn.LPPool1d(2, 2, stride=3)"),
    ("class:LPPool3d", "pool(v)", "nn.LPPool3d(2, 2)", "pool = nn.LPPool3d(2, 2)"),
    # padding as modules
    *[(f"class:{kind}{n}d", f"(pad({arg}), other({arg}))", f"nn.{kind}{n}d(",
       f"pad = nn.{kind}{n}d({amount}{value})\nother = nn.{kind}{n}d(1{value})")
      for kind, value in (("ConstantPad", ", 2.5"), ("ZeroPad", ""), ("ReflectionPad", ""),
                          ("ReplicationPad", ""), ("CircularPad", ""))
      for n, arg, amount in ((1, "s", "(2, 1)"), (2, "x", "(1, 2, 0, 3)"),
                             (3, "v", "(1, 0, 2, 1, 0, 1)"))],
    # functional forms
    ("torch.nn.functional.conv2d",
     "(F.conv2d(x, w2), F.conv2d(x, w2, b, 2, 1), F.conv2d(x, wg, groups=3, padding='same'), "
     "F.conv2d(x, w2, bias=b, stride=(1, 2), padding=(2, 0), dilation=2))",
     "tt.conv2d(x, w2, bias=b, stride=2, padding=1)", ""),
    ("torch.conv2d", "torch.conv2d(x, w2, b, padding=1)", "tt.conv2d(x, w2, bias=b, padding=1)",
     ""),
    ("torch.nn.functional.conv1d", "(F.conv1d(s, w1), F.conv1d(s, w1, None, 2, 'valid', 2))",
     "tt.conv1d(s, w1)", ""),
    ("torch.conv1d", "torch.conv1d(s, w1, stride=2)", "tt.conv1d(s, w1, stride=2)", ""),
    ("torch.nn.functional.conv3d", "F.conv3d(v, w3, padding=1, stride=2)", "tt.conv3d(v, w3", ""),
    ("torch.conv3d", "torch.conv3d(v, w3)", "tt.conv3d(v, w3)", ""),
    ("torch.nn.functional.conv_transpose2d",
     "(F.conv_transpose2d(x, t2), F.conv_transpose2d(x, t2, None, 2, 1, 1, 1, 2))",
     "tt.conv_transpose2d(x, t2)", ""),
    ("torch.conv_transpose2d", "torch.conv_transpose2d(x, t2, stride=3)",
     "tt.conv_transpose2d(x, t2, stride=3)", ""),
    ("torch.nn.functional.conv_transpose1d", "F.conv_transpose1d(s, t1, stride=2, padding=1)",
     "tt.conv_transpose1d(s, t1", ""),
    ("torch.conv_transpose1d", "torch.conv_transpose1d(s, t1)", "tt.conv_transpose1d(s, t1)",
     ""),
    ("torch.nn.functional.conv_transpose3d", "F.conv_transpose3d(v, t3, stride=2)",
     "tt.conv_transpose3d(v, t3, stride=2)", ""),
    ("torch.conv_transpose3d", "torch.conv_transpose3d(v, t3, padding=1)",
     "tt.conv_transpose3d(v, t3, padding=1)", ""),
    ("torch.nn.functional.max_pool2d",
     "(F.max_pool2d(x, 2), F.max_pool2d(x, 3, 2, 1, ceil_mode=True), "
     "F.max_pool2d(x, kernel_size=(2, 3), stride=1, dilation=(2, 1)))",
     "tt.max_pool2d(x, kernel_size=2)", ""),
    ("torch.max_pool2d", "torch.max_pool2d(x, 3, 2)", "tt.max_pool2d(x, kernel_size=3", ""),
    ("torch.nn.functional.max_pool1d",
     "(F.max_pool1d(s, 2, ceil_mode=True), *F.max_pool1d(s, 3, 2, 1, return_indices=True))",
     "tt.max_pool1d(", ""),
    ("torch.nn.functional.max_pool2d/indices", "F.max_pool2d(x, 2, return_indices=True)",
     "return_indices=True", ""),
    ("torch.max_pool1d", "torch.max_pool1d(s, 3, 1, 1)", "tt.max_pool1d(s", ""),
    ("torch.nn.functional.max_pool3d",
     "(F.max_pool3d(v, 2, padding=1), *F.max_pool3d(v, 2, 1, return_indices=True))",
     "tt.max_pool3d(v", ""),
    ("torch.max_pool3d", "torch.max_pool3d(v, 2)", "tt.max_pool3d(v", ""),
    ("torch.nn.functional.avg_pool2d",
     "(F.avg_pool2d(x, 2), F.avg_pool2d(x, 3, 2, 1, True, False), "
     "F.avg_pool2d(x, 2, divisor_override=3))", "tt.avg_pool2d(x, kernel_size=2)", ""),
    ("torch.nn.functional.avg_pool1d", "F.avg_pool1d(s, 3, 2, 1)", "tt.avg_pool1d(s", ""),
    ("torch.avg_pool1d", "torch.avg_pool1d(s, 2, ceil_mode=True)", "tt.avg_pool1d(s", ""),
    ("torch.nn.functional.avg_pool3d", "F.avg_pool3d(v, 2, count_include_pad=False, padding=1)",
     "tt.avg_pool3d(v", ""),
    ("torch.nn.functional.lp_pool2d", "F.lp_pool2d(x, 2, 3, stride=2)", "tt.lp_pool2d(x, 2", ""),
    ("torch.nn.functional.lp_pool1d", "F.lp_pool1d(s, 2, 2)", "tt.lp_pool1d(s, 2", ""),
    ("torch.nn.functional.lp_pool3d", "F.lp_pool3d(v, 2, 2)", "tt.lp_pool3d(v, 2", ""),
    ("torch.nn.functional.adaptive_avg_pool2d",
     "(F.adaptive_avg_pool2d(x, 1), F.adaptive_avg_pool2d(x, (3, 5)))",
     "tt.adaptive_avg_pool2d(x, 1)", ""),
    ("torch.nn.functional.adaptive_avg_pool1d", "F.adaptive_avg_pool1d(s, 4)",
     "tt.adaptive_avg_pool1d(s, 4)", ""),
    ("torch.adaptive_avg_pool1d", "torch.adaptive_avg_pool1d(s, 2)",
     "tt.adaptive_avg_pool1d(s, 2)", ""),
    ("torch.nn.functional.adaptive_avg_pool3d", "F.adaptive_avg_pool3d(v, (2, 3, 3))",
     "tt.adaptive_avg_pool3d(v", ""),
    ("torch.nn.functional.adaptive_max_pool2d", "F.adaptive_max_pool2d(x, (3, 2))",
     "tt.adaptive_max_pool2d(x", ""),
    ("torch.nn.functional.adaptive_max_pool1d", "F.adaptive_max_pool1d(s, 5)",
     "tt.adaptive_max_pool1d(s, 5)", ""),
    ("torch.nn.functional.adaptive_max_pool3d",
     "(F.adaptive_max_pool3d(v, 2), *F.adaptive_max_pool3d(v, (2, 4, 3), return_indices=True))",
     "tt.adaptive_max_pool3d(v, 2)", ""),
    ("torch.nn.functional.pad",
     "(F.pad(x, (1, 2)), F.pad(x, (1, 2, 2, 0), value=0.5), F.pad(x, (2, 1, 1, 3), 'reflect'), "
     "F.pad(x, (1, 1, 2, 2), mode='replicate'), F.pad(s, (3, 2), 'circular'), "
     "F.pad(x, (-1, 2, 0, -2)), F.pad(v, (1, 1, 0, 2, 1, 0), 'replicate'))",
     "tt.mode_pad(x, (2, 1, 1, 3), mode='reflect')", ""),
    # data-dependent control flow around the family's layers: an If op in the traced graph
    ("control:Conv2d", "h = conv(x)\n    if h.sum() > 0:\n        h = pool(h)\n    else:\n"
                       "        h = F.avg_pool2d(h, 2)\n    return h", "if tf.reduce_sum(h) > 0",
     "conv = nn.Conv2d(3, 4, 3, padding=1)\npool = nn.MaxPool2d(2)"),
]

# Rows run through tf.function (AutoGraph); the others run the twin's forward eagerly.
TRACED = ("control:",)


def _body(forward: str) -> str:
    return f"    {forward}" if "\n" in forward else f"    return {forward}"


@pytest.mark.parametrize("key, forward, tf_text, module", ROWS, ids=[r[0] for r in ROWS])
def test_row_matches_torch(key: str, forward: str, tf_text: str, module: str) -> None:
    code = SNIPPET.format(module=module, body=_body(forward))
    text, torch_run, outputs, grads = run_both(code, traced=key.startswith(TRACED))
    assert tf_text in text
    assert "torch" not in text
    assert any(g is not None for g in torch_run.grads.values())
    assert_same_run(torch_run, outputs, grads)


def test_every_table_entry_has_a_row() -> None:
    covered = {r[0].split("/")[0] for r in ROWS}
    keys = set(table_conv.FUNCTIONS) | {f"class:{name}" for name in table_conv.CLASSES}
    assert keys - covered == set()


def test_data_dependent_branch_is_an_if_op() -> None:
    """An ``if`` on a tensor between the family's layers becomes one If op in the trace."""
    key, forward, _, module = next(r for r in ROWS if r[0] == "control:Conv2d")
    code = SNIPPET.format(module=module, body=_body(forward))
    side = twin_run.load_tf(translate(code).code, twin_run.run_torch(code))
    concrete = twin_run.trace(side)[1]
    assert {"If", "StatelessIf"} & {op.type for op in concrete.graph.get_operations()}


NET = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2, padding_mode='reflect')
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(4, 2, 1))

    def forward(self, x):
        h = self.pool(torch.relu(self.conv1(x)))
        h = F.pad(self.conv2(h), (1, 0, 1, 0), mode='replicate')
        h = self.up(F.avg_pool2d(h, 2, stride=1))
        return self.head(h).reshape(h.shape[0], -1)


net = Net()


def inputs():
    return (torch.randn(2, 3, 15, 13),)


def forward(x):
    return net(x)
'''

SEQUENCE = '''import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv1d(4, 6, 5, padding='same'), nn.ReLU(), nn.MaxPool1d(2),
                      nn.LazyConv1d(3, 3, dilation=2), nn.AdaptiveMaxPool1d(4))


def inputs():
    return (torch.randn(3, 4, 20),)


def forward(x):
    h = model(x)
    if h.mean() > 0:
        h = h * 2
    return h
'''


@pytest.mark.parametrize("code", [NET, SEQUENCE], ids=["cnn", "sequence"])
def test_compare_end_to_end(code: str) -> None:
    result = compare(code)
    assert result["status"] == "ok", result.get("message")
    assert result["equivalent"] is True, result.get("message")


def test_fractional_max_pool_has_no_twin() -> None:
    """FractionalMaxPool2d/3d draw their pooling regions at random from torch's generator,
    which TensorFlow cannot replay: no twin, rather than one that pools elsewhere."""
    for n in (2, 3):
        code = NET.replace("nn.MaxPool2d(2, ceil_mode=True)",
                           f"nn.FractionalMaxPool{n}d(2, output_size=5)")
        with pytest.raises(NoTwin, match=f"FractionalMaxPool{n}d"):
            translate(code)
