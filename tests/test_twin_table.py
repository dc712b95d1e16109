"""One test per row of the twin's translation table: the same forward in PyTorch and as its
TF twin, on the same numbers; outputs and every gradient are checked against torch's own
autograd, here, with numpy (not with the twin's own verdict)."""
from __future__ import annotations

import ast

import numpy as np
import pytest

from explorer.twin import table as twin_table
from explorer.twin.rewrite import translate

twin_run = pytest.importorskip("explorer.twin.run")  # imports TensorFlow once per session
pytestmark = pytest.mark.filterwarnings("ignore:Implicit dimension choice for softmax")

SNIPPET = '''import torch
import torch.nn as nn
import torch.nn.functional as F

w = torch.randn(3, 4, requires_grad=True)       # any sign
p = (torch.rand(3, 4) + 0.5).requires_grad_()    # positive: log, sqrt, powers
m = torch.randn(4, 5, requires_grad=True)        # the right operand of products
{module}


def inputs():
    return (torch.randn(3, 4), torch.randint(0, 4, (3,)))


def forward(x, labels):
{body}
'''

# (table key it covers, forward: an expression or a body, TF text the twin must contain,
#  module-level code)
ROWS: list[tuple[str, str, str, str]] = [
    # Python operators, indexing and slicing
    ("op:+", "w + x", "w + x", ""), ("op:-", "w - x", "w - x", ""),
    ("op:*", "w * x", "w * x", ""), ("op:/", "w / p", "w / p", ""),
    ("op:**", "p ** 2.5 + 2 ** w", "p ** 2.5", ""), ("op:@", "w @ m", "w @ m", ""),
    ("op:unary-", "-w", "-w", ""),
    ("op:compare", "(w > x, w < x, w >= x, w <= x, w == w, w != x)", "w >= x", ""),
    ("op:index", "(w[0], w[:, 1:3], w[..., -1], w[None, 1], w[1:, ::2])", "w[:, 1:3]", ""),
    ("op:and", "h = w * 2\n    if w.sum() > -10 and x.sum() > -10:\n        h = w * 3\n"
               "    return h", "and", ""),
    ("op:or", "h = w * 2\n    if w.sum() > 100 or x.sum() < 100:\n        h = w * 3\n"
              "    return h", " or ", ""),
    ("op:not", "h = w * 2\n    if not w.sum() > 100:\n        h = w * 3\n    return h", "not", ""),
    # torch functions
    *[(f"torch.{n}", f"torch.{n}(w)", tf, "") for n, tf in [
        ("relu", "tf.nn.relu(w)"), ("tanh", "tf.tanh(w)"), ("sigmoid", "tf.sigmoid(w)"),
        ("exp", "tf.exp(w)"), ("abs", "tf.abs(w)"), ("sin", "tf.sin(w)"), ("cos", "tf.cos(w)"),
        ("neg", "tf.negative(w)"), ("square", "tf.square(w)"), ("t", "tf.transpose(w)"),
        ("detach", "tf.stop_gradient(w)"), ("clone", "tf.identity(w)"),
        ("sum", "tf.reduce_sum(w)"), ("mean", "tf.reduce_mean(w)"), ("max", "tf.reduce_max(w)"),
        ("min", "tf.reduce_min(w)"), ("norm", "tf.norm(w)"), ("argmax", "tf.argmax(")]],
    ("torch.log", "torch.log(p)", "tf.math.log(p)", ""),
    ("torch.sqrt", "torch.sqrt(p)", "tf.sqrt(p)", ""),
    ("torch.pow", "torch.pow(p, 3)", "tf.pow(p, 3)", ""),
    ("torch.clamp", "(torch.clamp(w, -0.5, 0.5), torch.clamp(w, min=0), w.clamp(max=0.1))",
     "tf.clip_by_value(w, -0.5, 0.5)", ""),
    ("torch.where", "torch.where(w > 0, w, x * 2)", "tf.where(w > 0, w, x * 2)", ""),
    ("torch.maximum", "torch.maximum(w, x)", "tf.maximum(w, x)", ""),
    ("torch.minimum", "torch.minimum(w, x)", "tf.minimum(w, x)", ""),
    ("torch.zeros", "torch.zeros(3, 4) + torch.zeros((3, 4)) + w", "tf.zeros((3, 4))", ""),
    ("torch.ones", "torch.ones(3, 4) * w", "tf.ones((3, 4))", ""),
    ("torch.zeros_like", "torch.zeros_like(w) + w", "tf.zeros_like(w)", ""),
    ("torch.ones_like", "torch.ones_like(w) * w", "tf.ones_like(w)", ""),
    ("torch.full", "torch.full((3, 4), 2.0) * w", "tf.fill((3, 4), 2.0)", ""),
    ("torch.cat", "(torch.cat([w, x]), torch.cat((w, x), dim=1))", "tf.concat([w, x], axis=0)", ""),
    ("torch.concat", "torch.concat([w, x], 1)", "tf.concat([w, x], axis=1)", ""),
    ("torch.stack", "(torch.stack([w, x]), torch.stack([w, x], dim=2))", "tf.stack(", ""),
    ("torch.matmul", "torch.matmul(w, m)", "tf.matmul(w, m)", ""),
    ("torch.mm", "torch.mm(w, m)", "tf.matmul(w, m)", ""),
    ("torch.softmax", "torch.softmax(w, dim=1)", "tf.nn.softmax(w, axis=1)", ""),
    ("torch.log_softmax", "torch.log_softmax(w, 1)", "tf.nn.log_softmax(w, axis=1)", ""),
    ("torch.sum/dim", "(torch.sum(w, dim=1), torch.sum(w, 0, keepdim=True))",
     "tf.reduce_sum(w, axis=1)", ""),
    ("torch.mean/dim", "torch.mean(w, dim=0)", "tf.reduce_mean(w, axis=0)", ""),
    ("torch.max/dim", "torch.max(w, dim=1)", "tt.max_dim(w, 1)", ""),
    ("torch.max/other", "torch.max(w, x)", "tf.maximum(w, x)", ""),
    ("torch.min/dim", "torch.min(w, 0, keepdim=True)", "tt.min_dim(w, 0, keepdim=True)", ""),
    ("torch.min/other", "torch.min(w, x)", "tf.minimum(w, x)", ""),
    ("torch.norm/dim", "(torch.norm(w, dim=1), torch.norm(w, p=1, dim=0))",
     "tf.norm(w, axis=1)", ""),
    ("torch.transpose", "torch.transpose(w, 0, 1)", "tt.swapaxes(w, 0, 1)", ""),
    ("torch.reshape", "torch.reshape(w, (2, 6))", "tf.reshape(w, (2, 6))", ""),
    ("torch.squeeze", "torch.squeeze(w[None])", "tf.squeeze(w[None])", ""),
    ("torch.unsqueeze", "torch.unsqueeze(w, 1)", "tf.expand_dims(w, axis=1)", ""),
    ("torch.add", "(torch.add(w, x), torch.add(w, x, alpha=2))", "(w + x)", ""),
    ("torch.sub", "torch.sub(w, x, alpha=0.5)", "(w - 0.5 * x)", ""),
    ("torch.mul", "torch.mul(w, x)", "(w * x)", ""),
    ("torch.div", "torch.div(w, p)", "(w / p)", ""),
    ("torch.dropout", "torch.dropout(w, 0.5, False)", "tt.dropout(w, 0.5, False)", ""),
    ("torch.tensor", "w * torch.tensor([1.0, 2.0, 3.0, 4.0]) + torch.tensor(2.0)",
     "tf.constant([1.0, 2.0, 3.0, 4.0])", ""),
    ("torch.arange", "(torch.arange(4), torch.arange(1, 7, 2), w * torch.arange(4.0))",
     "tf.range(4, dtype=tf.int64)", ""),
    ("torch.eye", "w @ torch.eye(4)", "tf.eye(4)", ""),
    ("torch.is_tensor", "w * (2 if torch.is_tensor(x) else 3)", "tf.is_tensor(x)", ""),
    ("torch.device", "w.to(torch.device('cpu'))", "w", ""),
    ("torch.cuda.is_available", "w * (2 if torch.cuda.is_available() else 3)", "False", ""),
    ("torch.no_grad", "w * scale", "tt.no_grad()",
     "scale = torch.ones(4)\nwith torch.no_grad():\n    scale.mul_(3)"),
    ("torch.manual_seed", "w * 2", "tf.random.set_seed(1)", "torch.manual_seed(1)"),
    # torch.nn.functional
    ("torch.nn.functional.relu", "F.relu(w)", "tf.nn.relu(w)", ""),
    ("torch.nn.functional.tanh", "F.tanh(w)", "tf.tanh(w)", ""),
    ("torch.nn.functional.sigmoid", "F.sigmoid(w)", "tf.sigmoid(w)", ""),
    ("torch.nn.functional.softmax", "F.softmax(w, dim=-1)", "tf.nn.softmax(w, axis=-1)", ""),
    ("torch.nn.functional.log_softmax", "F.log_softmax(w, dim=1)", "tf.nn.log_softmax(", ""),
    ("torch.nn.functional.dropout", "F.dropout(w, 0.3, training=False)",
     "tt.dropout(w, 0.3, False)", ""),
    ("torch.nn.functional.linear", "F.linear(x, m.t(), None)", "tt.linear(x, tf.transpose(m)", ""),
    # tensor methods
    *[(f"method:{n}", f"w.{n}()", tf, "") for n, tf in [
        ("sum", "tf.reduce_sum(w)"), ("mean", "tf.reduce_mean(w)"), ("max", "tf.reduce_max(w)"),
        ("min", "tf.reduce_min(w)"), ("norm", "tf.norm(w)"), ("relu", "tf.nn.relu(w)"),
        ("sigmoid", "tf.sigmoid(w)"), ("tanh", "tf.tanh(w)"), ("exp", "tf.exp(w)"),
        ("abs", "tf.abs(w)"), ("t", "tf.transpose(w)"), ("neg", "tf.negative(w)"),
        ("square", "tf.square(w)"), ("sin", "tf.sin(w)"), ("cos", "tf.cos(w)"),
        ("clone", "tf.identity(w)"), ("contiguous", "w"), ("cpu", "w"),
        ("float", "tf.cast(w, tf.float32)"), ("argmax", "tf.argmax(")]],
    ("method:log", "p.log()", "tf.math.log(p)", ""), ("method:sqrt", "p.sqrt()", "tf.sqrt(p)", ""),
    ("method:pow", "p.pow(2)", "tf.pow(p, 2)", ""),
    ("method:clamp", "w.clamp(-0.2, 0.3)", "tf.clip_by_value(w, -0.2, 0.3)", ""),
    ("method:sum/dim", "(w.sum(1), w.sum(dim=0, keepdim=True))", "tf.reduce_sum(w, axis=1)", ""),
    ("method:max/dim", "w.max(dim=1)[0] + w.max(1).values", "tt.max_dim(w, 1)", ""),
    ("method:min/dim", "w.min(0)", "tt.min_dim(w, 0)", ""),
    ("method:mean/dim", "w.mean(-1)", "tf.reduce_mean(w, axis=-1)", ""),
    ("method:norm/dim", "w.norm(dim=1)", "tf.norm(w, axis=1)", ""),
    ("method:view", "(w.view(12), w.view(-1), w.view(2, 6), w.view(-1, 2), w.view((6, 2)))",
     "tf.reshape(w, (2, 6))", ""),
    ("method:reshape", "w.reshape(4, 3)", "tf.reshape(w, (4, 3))", ""),
    ("method:transpose", "w.transpose(0, 1)", "tt.swapaxes(w, 0, 1)", ""),
    ("method:permute", "w.view(3, 2, 2).permute(2, 0, 1)", "tf.transpose(", ""),
    ("method:squeeze", "(w.view(1, 3, 4).squeeze(0), w.view(3, 1, 4).squeeze())",
     "tf.squeeze(", ""),
    ("method:unsqueeze", "w.unsqueeze(1)", "tf.expand_dims(w, axis=1)", ""),
    ("method:mm", "w.mm(m)", "tf.matmul(w, m)", ""),
    ("method:matmul", "w.matmul(m)", "tf.matmul(w, m)", ""),
    ("method:detach", "w * w.detach()", "tf.stop_gradient(w)", ""),
    ("method:item", "w * w.sum().item()", "tf.stop_gradient(tf.reduce_sum(w))", ""),
    ("method:size", "w * w.size(1) + w.size()[0]", "w.shape[1]", ""),
    ("method:dim", "w * w.dim()", "w.shape.rank", ""),
    ("method:numel", "w * w.numel()", "w.shape.num_elements()", ""),
    ("method:softmax", "w.softmax(1)", "tf.nn.softmax(w, axis=1)", ""),
    ("method:log_softmax", "w.log_softmax(dim=1)", "tf.nn.log_softmax(w, axis=1)", ""),
    ("method:long", "labels.long() * 2", "tf.cast(labels, tf.int64)", ""),
    ("method:to", "(w.to('cpu'), w.to(torch.float64))", "tf.cast(w, tf.float64)", ""),
    ("method:requires_grad_", "w * q", "tf.Variable(", "q = torch.ones(4).requires_grad_()"),
    ("method:add", "w.add(x)", "(w + x)", ""), ("method:sub", "w.sub(x)", "(w - x)", ""),
    ("method:mul", "w.mul(x)", "(w * x)", ""), ("method:div", "w.div(p)", "(w / p)", ""),
    ("attr:T", "w.T", "tf.transpose(w)", ""),
    ("attr:mT", "w.mT", "tf.linalg.matrix_transpose(w)", ""),
    ("attr:shape", "w * w.shape[0]", "w.shape[0]", ""),
    # dtypes
    *[(f"const:torch.{n}", f"w.to(torch.{n})", f"tf.cast(w, tf.{tf})", "") for n, tf in [
        ("float32", "float32"), ("float", "float32"), ("float64", "float64"),
        ("double", "float64"), ("float16", "float16"), ("half", "float16"), ("int64", "int64"),
        ("long", "int64"), ("int32", "int32"), ("int", "int32"), ("bool", "bool")]],
    ("const:torch.Tensor", "w * (2 if isinstance(x, torch.Tensor) else 3)", "tf.Tensor", ""),
    ("const:torch.Size", "w * (2 if w.shape == torch.Size([3, 4]) else 3)", "tf.TensorShape", ""),
    # torch.nn modules
    ("class:Linear", "layer(x)", "nn.Linear(4, 2)", "layer = nn.Linear(4, 2)"),
    ("class:ReLU", "act(w)", "nn.ReLU()", "act = nn.ReLU()"),
    ("class:Tanh", "act(w)", "nn.Tanh()", "act = nn.Tanh()"),
    ("class:Sigmoid", "act(w)", "nn.Sigmoid()", "act = nn.Sigmoid()"),
    ("class:Identity", "act(w)", "nn.Identity()", "act = nn.Identity()"),
    ("class:Softmax", "(act(w), by_position(w), implicit(w))", "nn.Softmax(dim=0)",
     "act = nn.Softmax(dim=0)\nby_position = nn.Softmax(1)\nimplicit = nn.Softmax()"),
    ("class:LogSoftmax", "act(w)", "nn.LogSoftmax(dim=1)", "act = nn.LogSoftmax(dim=1)"),
    ("class:Sequential", "seq(x) + named(x)", "nn.Sequential(",
     "from collections import OrderedDict\n"
     "seq = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n"
     "named = nn.Sequential(OrderedDict([('fc', nn.Linear(4, 2)), ('act', nn.Tanh())]))"),
    ("class:ModuleList", "h = x\n    for layer in layers:\n        h = torch.tanh(layer(h))\n"
                         "    return h + layers[0](x)", "nn.ModuleList(",
     "layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])"),
    ("class:Dropout", "drop(w)", "nn.Dropout(0.3)", "drop = nn.Dropout(0.3)\ndrop.eval()"),
    ("class:Embedding", "emb(labels) + padded(labels)", "nn.Embedding(4, 3)",
     "emb = nn.Embedding(4, 3)\npadded = nn.Embedding(4, 3, padding_idx=2)"),
    ("class:RNNCell", "h = cell(x)\n    return cell(x, h) + cell(x[0])", "nn.RNNCell(4, 5)",
     "cell = nn.RNNCell(4, 5)"),
    ("class:Parameter", "scale(x)", "nn.Parameter(",
     "class Scale(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
     "        self.s = nn.Parameter(torch.ones(4) * 2)\n\n    def forward(self, x):\n"
     "        return x * self.s\n\n\nscale = Scale()"),
    ("class:Module", "(net(x), net.eval()(x), net.train()(x))", "nn.Module",
     "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
     "        self.fc = nn.Linear(4, 3)\n\n    def forward(self, x):\n        h = self.fc(x)\n"
     "        if self.training:\n            h = h * 2\n        return torch.tanh(h)\n\n\n"
     "net = Net()\nnet.eval()"),
    # in-place methods as rebinding; iteration over a tensor's first dimension
    *[(f"inplace:{n}", f"h = w * 1\n    h.{n}({a})\n    return h", "h = ", "") for n, a in [
        ("add_", "x"), ("sub_", "x"), ("mul_", "x"), ("div_", "p"), ("pow_", "2"),
        ("clamp_", "-0.5, 0.5"), ("relu_", ""), ("tanh_", ""), ("sigmoid_", ""), ("exp_", ""),
        ("abs_", ""), ("neg_", ""), ("t_", ""), ("zero_", ""), ("fill_", "2.0"),
        ("unsqueeze_", "0"), ("transpose_", "0, 1")]],
    *[(f"inplace:{n}", f"h = p * 1\n    h.{n}()\n    return h", "h = ", "")
      for n in ("sqrt_", "log_")],
    ("inplace:squeeze_", "h = w[None] * 1\n    h.squeeze_(0)\n    return h", "h = ", ""),
    ("write:slice", "h = w * 1\n    h[:, 0] = 0.0\n    h[1:, 2:] = x[1:, 2:]\n    return h",
     "h = tt.setitem(h, tt.at[:, 0], 0.0)", ""),
    ("write:mask", "h = w * 1\n    h[h < 0] = 0.0\n    return h", "tt.at[h < 0]", ""),
    ("write:augmented", "h = w * 1\n    h[1] += x[1]\n    return h", "h[1] + (x[1])", ""),
    ("write:list", "out = [w, w]\n    out[1] = w * 2\n    return out[0] + out[1]",
     "out = tt.setitem(out, tt.at[1], w * 2)", ""),
    ("loop:tensor", "h = torch.zeros(4)\n    for row in x:\n        h = torch.tanh(h + row * w[0])"
                    "\n    return h", "for row in x:", ""),
]

# Table keys whose rows above test under another spelling, or elsewhere.
COVERED_ELSEWHERE = {
    "torch.randn", "torch.rand", "torch.randint",  # random: test_random_factories_shapes
    "method:cuda",                                 # needs a GPU: test_cuda_method_is_dropped
}
# Rows about control flow run through tf.function (AutoGraph); the others run the twin's
# forward eagerly: the same ops, without the cost of a trace per row.
TRACED = ("op:and", "op:or", "op:not", "loop:tensor", "class:Module")


def _body(forward: str) -> str:
    return f"    {forward}" if "\n" in forward else f"    return {forward}"


def run_both(code: str, traced: bool = True) -> tuple:
    torch_run = twin_run.run_torch(code)
    text = translate(code).code
    tf_side = twin_run.load_tf(text, torch_run)
    function = twin_run.trace(tf_side)[0] if traced else tf_side.namespace["forward"]
    outputs, grads = twin_run.run_tape(function, tf_side, torch_run.differentiable)
    return text, torch_run, outputs, grads


def assert_same(expected: np.ndarray, actual: np.ndarray, what: str) -> None:
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype, what
    np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=2e-6, err_msg=what)


def assert_same_run(torch_run, outputs: list, grads: dict, differentiates: bool = True) -> None:
    """The twin's outputs and every gradient equal torch's own (a leaf torch left
    unconnected, ``.grad`` None, must get none or zeros from TensorFlow too). With
    ``differentiates`` the row must have a gradient to compare."""
    assert len(outputs) == len(torch_run.outputs)
    for i, (expected, actual) in enumerate(zip(torch_run.outputs, outputs)):
        assert_same(expected, actual, f"output {i}")
    assert torch_run.grads or not differentiates, "every row differentiates something"
    for path, expected in torch_run.grads.items():
        actual = grads[path]
        if expected is None or actual is None:  # not connected: torch leaves .grad None
            assert expected is None or not np.any(expected), path
            assert actual is None or not np.any(actual), path
        else:
            assert_same(expected, actual, f"gradient of {path}")


@pytest.mark.parametrize("key, forward, tf_text, module", ROWS, ids=[r[0] for r in ROWS])
def test_row_matches_torch(key: str, forward: str, tf_text: str, module: str) -> None:
    code = SNIPPET.format(module=module, body=_body(forward))
    text, torch_run, outputs, grads = run_both(code, traced=key.startswith(TRACED))
    assert tf_text in text
    assert "torch" not in text.replace("twin_lib", "")  # nothing of torch left in the twin
    assert_same_run(torch_run, outputs, grads)


def _family_keys() -> set[str]:
    """The entries the families of torch.nn add: each family's own test covers them."""
    keys: set[str] = set()
    for family in twin_table.FAMILIES:
        keys |= set(family.FUNCTIONS) | {f"method:{k}" for k in family.METHODS}
        keys |= {f"class:{k}" for k in family.CLASSES}
    return keys


def test_every_table_entry_has_a_row() -> None:
    """Every core entry (the families' own are tested with each family) has a row above."""
    from tests.test_twin_ops import ROWS as OP_ROWS  # imports this module: not at the top

    covered = {r[0].split("/")[0] for r in [*ROWS, *OP_ROWS]} | COVERED_ELSEWHERE
    keys = ({k for k in twin_table.FUNCTIONS} | {f"method:{k}" for k in twin_table.METHODS}
            | {f"builtin:{k}" for k in twin_table.BUILTINS}
            | {f"inplace:{k}" for k in twin_table.IN_PLACE}
            | {f"attr:{k}" for k in twin_table.ATTRIBUTES}
            | {f"const:{k}" for k in twin_table.CONSTANTS}
            | {f"class:{k}" for k in twin_table.CLASSES})
    assert keys - _family_keys() - covered == set()


def test_cuda_method_is_dropped() -> None:
    """The twin runs on the CPU: ``.cuda()`` and ``.to(device)`` leave the tensor as it is."""
    text = translate(SNIPPET.format(module="", body="    return w.cuda() + x.to(x.device)")).code
    assert "return w + x" in text


def test_random_factories_shapes() -> None:
    """Random values cannot match across generators; their shapes and dtypes must."""
    code = SNIPPET.format(module="a = torch.randn(2, 3)\nb = torch.rand(5)\n"
                                 "c = torch.randint(0, 5, (2, 2))\nd = torch.randint(5, (3,))\n"
                                 "n = 4\ne = torch.randn(n)", body="    return w * 2")
    torch_ns = twin_run.run_torch(code).program.namespace
    tf_ns: dict = {}
    exec(compile(translate(code).code, "<twin-test>", "exec"), tf_ns)
    for name in "abcde":
        assert tuple(tf_ns[name].shape) == tuple(torch_ns[name].shape), name
        assert tf_ns[name].dtype.name == str(torch_ns[name].dtype).removeprefix("torch."), name


def test_translation_keeps_lines_and_comments() -> None:
    code = SNIPPET.format(module="", body="    y = torch.sum(  # a comment\n        w,\n"
                                          "        dim=1,\n    )\n    return y  # done")
    text = translate(code).code
    assert len(text.splitlines()) == len(code.splitlines())
    assert "# a comment" in text and "return y  # done" in text
    ast.parse(text)


def test_layer_calls_are_not_taken_for_tensor_methods() -> None:
    """``self.norm(x)`` calls a layer, ``math.exp(v)`` a function: neither is rewritten."""
    code = SNIPPET.format(module="import math\n\n\nclass Net(nn.Module):\n"
                                 "    def __init__(self):\n        super().__init__()\n"
                                 "        self.norm = nn.Linear(4, 4)\n\n"
                                 "    def forward(self, x):\n        return self.norm(x)\n\n\n"
                                 "net = Net()", body="    return net(x) * math.exp(1.0)")
    text = translate(code).code
    assert "self.norm(x)" in text and "math.exp(1.0)" in text
