"""The layers family of the twin (normalisation, flatten, the dropout family, embeddings,
containers, linear forms): each class and functional form run in PyTorch and as its TF twin
on the same numbers; outputs, every gradient and every module tensor after forward (the
running statistics train mode updates, an embedding max_norm renormalises) checked against
torch's own values with numpy."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest

from explorer.twin import paths as twin_paths
from explorer.twin import table_layers
from explorer.twin.rewrite import translate

twin_run = pytest.importorskip("explorer.twin.run")  # imports TensorFlow once per session
torch = pytest.importorskip("torch")
from explorer.twin import lib as twin_lib  # noqa: E402  (TensorFlow, after the skip)
from explorer.twin.check import compare  # noqa: E402
from tests.test_twin_table import assert_same, assert_same_run  # noqa: E402

tf = pytest.importorskip("tensorflow")

SNIPPET = '''import torch
import torch.nn as nn
import torch.nn.functional as F

w = torch.randn(4, requires_grad=True)
b = torch.randn(4, requires_grad=True)
{module}


def inputs():
    return (torch.randn(2, 4, 3, 5, requires_grad=True), torch.randn(3, 4, 6, requires_grad=True),
            torch.randn(5, 6, requires_grad=True), torch.tensor([[0, 2, 4], [1, 1, 3]]))


def forward(x4, x3, x2, ids):
{body}
'''

# (table key it covers, forward: an expression or a body, TF text the twin must contain,
#  module-level code)
ROWS: list[tuple[str, str, str, str]] = [
    # batch norm: train mode (running statistics updated), eval mode, the options
    ("class:BatchNorm1d", "(torch.sin(bn(x3)), torch.sin(bn(x3[:, :, 0])), "
     "torch.sin(cumulative(x3)), "
     "torch.sin(plain(x3)), torch.sin(free(x3)))",
     "nn.BatchNorm1d(4)", "bn = nn.BatchNorm1d(4)\ncumulative = nn.BatchNorm1d(4, momentum=None)"
     "\nplain = nn.BatchNorm1d(4, affine=False, momentum=0.3)\n"
     "free = nn.BatchNorm1d(4, track_running_stats=False)"),
    ("class:BatchNorm1d/eval", "bn(x3) + bn(x3) + torch.sin(free(x3))", "bn.eval()",
     "bn = nn.BatchNorm1d(4)\nbn(torch.randn(8, 4, 5) * 3 + 1)\nbn.eval()\n"
     "free = nn.BatchNorm1d(4, track_running_stats=False).eval()"),
    ("class:BatchNorm2d", "torch.sin(bn(x4) * 2 + bn(x4 * 3))", "nn.BatchNorm2d(4, eps=0.001)",
     "bn = nn.BatchNorm2d(4, eps=0.001)"),
    ("class:BatchNorm2d/eval", "bn(x4)", "nn.BatchNorm2d(4)",
     "bn = nn.BatchNorm2d(4)\nbn(torch.randn(8, 4, 3, 3) * 2 - 1)\nbn.eval()"),
    ("class:BatchNorm2d/cumulative", "torch.sin(bn(x4) + bn(x4 * 2 + 1))", "momentum=None",
     "bn = nn.BatchNorm2d(4, momentum=None)\nbn(torch.randn(8, 4, 3, 3))"),
    ("class:BatchNorm3d", "(torch.sin(bn(x4[:, :, None])), bn.eval()(x4[:, :, None] * 2))",
     "nn.BatchNorm3d(4)", "bn = nn.BatchNorm3d(4)"),
    # lazy norms: made by the first call (in forward, or at module level)
    ("class:LazyBatchNorm1d", "(torch.sin(bn(x3)), torch.sin(early(x3)), bare(x3))",
     "nn.LazyBatchNorm1d()", "bn = nn.LazyBatchNorm1d()\nearly = nn.LazyBatchNorm1d(momentum=None)"
     "\nearly(torch.randn(5, 4, 2))\nbare = nn.LazyBatchNorm1d(affine=False).eval()"),
    ("class:LazyBatchNorm2d", "torch.sin(bn(x4))", "nn.LazyBatchNorm2d(eps=0.01)",
     "bn = nn.LazyBatchNorm2d(eps=0.01)"),
    ("class:LazyBatchNorm3d", "torch.sin(bn(x4[:, :, None]))", "nn.LazyBatchNorm3d(bias=False)",
     "bn = nn.LazyBatchNorm3d(bias=False)"),
    ("class:LazyInstanceNorm1d", "(torch.sin(norm(x3)), torch.sin(tracked(x3)))",
     "nn.LazyInstanceNorm1d()",
     "norm = nn.LazyInstanceNorm1d()\n"
     "tracked = nn.LazyInstanceNorm1d(affine=False, track_running_stats=False)"),
    ("class:LazyInstanceNorm2d", "torch.sin(norm(x4))", "nn.LazyInstanceNorm2d(bias=False)",
     "norm = nn.LazyInstanceNorm2d(bias=False)"),
    ("class:LazyInstanceNorm3d", "torch.sin(norm(x4[:, :, None] * x4[:, :, None]))",
     "nn.LazyInstanceNorm3d(track_running_stats=True)",
     "norm = nn.LazyInstanceNorm3d(track_running_stats=True)"),
    # instance norm
    ("class:InstanceNorm1d", "(torch.sin(norm(x3)), torch.sin(norm(x3[0])), "
     "torch.sin(tracked(x3)), "
     "tracked.eval()(x3))",
     "nn.InstanceNorm1d(4)",
     "norm = nn.InstanceNorm1d(4)\n"
     "tracked = nn.InstanceNorm1d(4, affine=True, track_running_stats=True, momentum=0.2)"),
    ("class:InstanceNorm2d", "torch.sin(norm(x4) + unbatched(x4[1]))",
     "nn.InstanceNorm2d(4, affine=True)",
     "norm = nn.InstanceNorm2d(4, affine=True)\nunbatched = nn.InstanceNorm2d(4)"),
    ("class:InstanceNorm3d",
     "torch.sin(norm(torch.cat([x4[:, :, None], x4[:, :, None] ** 2], dim=2)))",
     "nn.InstanceNorm3d(4, track_running_stats=True)",
     "norm = nn.InstanceNorm3d(4, track_running_stats=True)"),
    # layer, group, RMS and local response norm
    ("class:LayerNorm", "(torch.sin(ln(x2)), torch.sin(ln2(x4)), torch.sin(bare(x3)), "
                        "torch.sin(nobias(x2)))", "nn.LayerNorm(6)",
     "ln = nn.LayerNorm(6)\nln2 = nn.LayerNorm((3, 5), eps=1e-3)\n"
     "bare = nn.LayerNorm([6], elementwise_affine=False)\nnobias = nn.LayerNorm(6, bias=False)"),
    ("class:GroupNorm", "(torch.sin(gn(x4)), torch.sin(one(x3)), torch.sin(each(x4)), "
                        "torch.sin(bare(x4)))", "nn.GroupNorm(2, 4)",
     "gn = nn.GroupNorm(2, 4)\none = nn.GroupNorm(1, 4)\neach = nn.GroupNorm(4, 4, eps=1e-3)\n"
     "bare = nn.GroupNorm(2, 4, affine=False)"),
    ("class:RMSNorm", "(rms(x2), rms2(x4), bare(x3))", "nn.RMSNorm(6)",
     "rms = nn.RMSNorm(6)\nrms2 = nn.RMSNorm((3, 5), eps=1e-6)\n"
     "bare = nn.RMSNorm(6, elementwise_affine=False)"),
    ("class:LocalResponseNorm", "(lrn(x4), even(x3), wide(x4))", "nn.LocalResponseNorm(3)",
     "lrn = nn.LocalResponseNorm(3)\neven = nn.LocalResponseNorm(2, alpha=0.1, beta=0.5, k=2.0)"
     "\nwide = nn.LocalResponseNorm(5, alpha=0.5)"),
    # flatten
    ("class:Flatten", "(flat(x4), inner(x4), flat(x2))", "nn.Flatten()",
     "flat = nn.Flatten()\ninner = nn.Flatten(1, 2)"),
    ("class:Unflatten", "(un(x2), last(x2), un(x3.reshape(3, 6, 4)))", "nn.Unflatten(1, (2, 3))",
     "un = nn.Unflatten(1, (2, 3))\nlast = nn.Unflatten(-1, (3, -1))"),
    # the dropout family (identity in the check, like nn.Dropout)
    ("class:Dropout1d", "(drop(x3), drop(x3[0]), off(x3))", "nn.Dropout1d(0.3)",
     "drop = nn.Dropout1d(0.3)\noff = nn.Dropout1d(0.3).eval()"),
    ("class:Dropout2d", "drop(x4) + off(x4)", "nn.Dropout2d()",
     "drop = nn.Dropout2d()\noff = nn.Dropout2d(p=0.2)\noff.eval()"),
    ("class:Dropout3d", "drop(x4[:, :, None])", "nn.Dropout3d(0.1)", "drop = nn.Dropout3d(0.1)"),
    ("class:AlphaDropout", "drop(x3) + off(x3)", "nn.AlphaDropout(0.2)",
     "drop = nn.AlphaDropout(0.2)\noff = nn.AlphaDropout(0.2).eval()"),
    ("class:FeatureAlphaDropout", "drop(x4)", "nn.FeatureAlphaDropout(0.2)",
     "drop = nn.FeatureAlphaDropout(0.2)"),
    # embeddings
    ("class:Embedding", "(emb(ids), padded(ids), capped(ids), freq(ids), pretrained(ids))",
     "nn.Embedding(5, 3, max_norm=1.0)",
     "emb = nn.Embedding(5, 3)\npadded = nn.Embedding(5, 3, padding_idx=-1)\n"
     "capped = nn.Embedding(5, 3, max_norm=1.0)\n"
     "freq = nn.Embedding(5, 3, scale_grad_by_freq=True, padding_idx=1)\n"
     "pretrained = nn.Embedding.from_pretrained(torch.randn(5, 3), freeze=False)"),
    ("class:EmbeddingBag", "(mean(ids), total(ids), most(ids), cut(flat, offsets), "
                           "weighted(flat, offsets, per), last(flat, ends), padded(ids))",
     "nn.EmbeddingBag(5, 3)",
     "mean = nn.EmbeddingBag(5, 3)\ntotal = nn.EmbeddingBag(5, 3, mode='sum')\n"
     "most = nn.EmbeddingBag(5, 3, mode='max')\ncut = nn.EmbeddingBag(5, 3, max_norm=0.5)\n"
     "weighted = nn.EmbeddingBag(5, 3, mode='sum')\n"
     "last = nn.EmbeddingBag(5, 3, include_last_offset=True, mode='sum')\n"
     "padded = nn.EmbeddingBag(5, 3, padding_idx=1)\n"
     "flat = torch.tensor([0, 2, 4, 1, 1, 3, 2])\noffsets = torch.tensor([0, 3, 3, 6])\n"
     "ends = torch.tensor([0, 2, 7])\nper = torch.rand(7, requires_grad=True)"),
    # linear forms
    ("class:Bilinear", "(bil(x2, x2[:, :5]), nob(x3, x3[..., :2]))", "nn.Bilinear(6, 5, 3)",
     "bil = nn.Bilinear(6, 5, 3)\nnob = nn.Bilinear(6, 2, 2, bias=False)"),
    ("class:LazyLinear", "lazy(x2) + nob(x2)", "nn.LazyLinear(3)",
     "lazy = nn.LazyLinear(3)\nnob = nn.LazyLinear(3, bias=False)\n"
     "lazy(torch.zeros(1, 6))\nnob(torch.zeros(1, 6))"),
    # containers: torch's item names are the paths the values copy by
    ("class:ModuleDict", "h = x2\n    for name, layer in blocks.items():\n"
                         "        h = torch.tanh(layer(h))\n"
                         "    return h + blocks['dec'](blocks['enc'](x2)) * len(blocks)",
     "nn.ModuleDict(",
     "blocks = nn.ModuleDict({'enc': nn.Linear(6, 4), 'dec': nn.Linear(4, 6)})\n"
     "blocks['out'] = nn.Linear(6, 6)"),
    ("class:ParameterList", "x2 * params[0] + params[1] * len(params)", "nn.ParameterList(",
     "params = nn.ParameterList([nn.Parameter(torch.randn(6)) for _ in range(2)])"),
    ("class:ParameterDict", "x2 * scales['a'] + scales['b']", "nn.ParameterDict(",
     "scales = nn.ParameterDict({'a': nn.Parameter(torch.randn(6)),\n"
     "                           'b': nn.Parameter(torch.randn(6))})"),
    # functional forms
    ("torch.nn.functional.batch_norm",
     "(torch.sin(F.batch_norm(x3, None, None, w, b, training=True)),"
     " F.batch_norm(x3, rm, rv, w, b), F.batch_norm(x4, rm, rv, eps=0.1),"
     " torch.sin(F.batch_norm(x3, None, None, training=True, momentum=0.5)))",
     "tt.batch_norm(x3, None, None, weight=w, bias=b, training=True)",
     "rm = torch.rand(4)\nrv = torch.rand(4) + 0.5"),
    ("torch.nn.functional.instance_norm",
     "(torch.sin(F.instance_norm(x3)), torch.sin(F.instance_norm(x4, weight=w, bias=b, eps=0.01)),"
     " F.instance_norm(x3, rm, rv, use_input_stats=False))", "tt.instance_norm(x3)",
     "rm = torch.rand(4)\nrv = torch.rand(4) + 0.5"),
    ("torch.nn.functional.layer_norm", "(torch.sin(F.layer_norm(x2, (6,))), F.layer_norm(x3, [6], "
                                       "weight=v, bias=v * 2, eps=1e-3))",
     "tt.layer_norm(x2, (6,))", "v = torch.randn(6, requires_grad=True)"),
    ("torch.layer_norm", "torch.sin(torch.layer_norm(x3, [6], v, v))",
     "tt.layer_norm(x3, [6], weight=v",
     "v = torch.randn(6, requires_grad=True)"),
    ("torch.nn.functional.group_norm",
     "(F.group_norm(x4, 2, w, b), torch.sin(F.group_norm(x3, 4)))",
     "tt.group_norm(x4, 2, weight=w, bias=b)", ""),
    ("torch.group_norm", "torch.group_norm(x4, 2, w, b, 1e-3)", "tt.group_norm(x4, 2", ""),
    ("torch.nn.functional.rms_norm", "(F.rms_norm(x2, (6,), v), F.rms_norm(x4, [3, 5], "
                                     "eps=1e-3))", "tt.rms_norm(x2, (6,), weight=v)",
     "v = torch.randn(6, requires_grad=True)"),
    ("torch.rms_norm", "torch.rms_norm(x2, [6], v)", "tt.rms_norm(x2, [6], weight=v)",
     "v = torch.randn(6, requires_grad=True)"),
    ("torch.nn.functional.local_response_norm",
     "(F.local_response_norm(x4, 2), F.local_response_norm(x3, 3, alpha=0.2, beta=0.6, k=1.5))",
     "tt.local_response_norm(x4, 2)", ""),
    *[(f"torch.nn.functional.{name}", f"(F.{name}(x{rank}, 0.3, training=False), F.{name}"
                                      f"(x{rank}, p=0.4))", f"tt.{name}(x{rank}, p=0.4)", "")
      for name, rank in [("dropout1d", 3), ("dropout2d", 4), ("dropout3d", 4),
                         ("alpha_dropout", 3), ("feature_alpha_dropout", 4)]],
    ("torch.alpha_dropout", "torch.alpha_dropout(x3, 0.5, False)",
     "tt.alpha_dropout(x3, 0.5, False)", ""),
    ("torch.feature_alpha_dropout", "torch.feature_alpha_dropout(x4, 0.5, False)",
     "tt.feature_alpha_dropout(x4, 0.5, False)", ""),
    ("torch.nn.functional.embedding", "(F.embedding(ids, table), F.embedding(ids, table, "
                                      "padding_idx=2), F.embedding(ids, table, max_norm=1.5))",
     "tt.embedding(ids, table, padding_idx=2)", "table = torch.randn(5, 3, requires_grad=True)"),
    ("torch.nn.functional.embedding_bag",
     "(F.embedding_bag(ids, table), F.embedding_bag(ids, table, mode='max'))",
     "tt.embedding_bag(ids, table, mode='max')", "table = torch.randn(5, 3, requires_grad=True)"),
    ("torch.nn.functional.bilinear", "F.bilinear(x2, x2, m, b[:2])", "tt.bilinear(x2, x2, m",
     "m = torch.randn(2, 6, 6, requires_grad=True)"),
    ("torch.bilinear", "torch.bilinear(x2, x2[:, :3], m[:, :, :3], None)", "tt.bilinear(",
     "m = torch.randn(2, 6, 6, requires_grad=True)"),
    ("torch.nn.Embedding.from_pretrained", "frozen(ids) * 2", "tt.Embedding.from_pretrained(",
     "frozen = nn.Embedding.from_pretrained(torch.randn(5, 3))"),
    # a tensor-dependent if around layers: an If op, whose taken arm (either way round)
    # updates the statistics
    *[(f"control:if/{sign}", f"if {sign}x3.sum() > 0:\n        h = torch.sin(bn(x3))\n    else:\n"
                             "        h = ln(x3) * 2\n    if h.mean() > 100:\n        h = bn(h)\n"
                             "    return flat(h)", "nn.BatchNorm1d(4)",
       "bn = nn.BatchNorm1d(4)\nln = nn.LayerNorm(6)\nflat = nn.Flatten()") for sign in ("", "-")],
]
TRACED = ("control:",)
FEATURE_DROPOUTS = ("dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                    "feature_alpha_dropout")


def _array(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _body(forward: str) -> str:
    return f"    {forward}" if "\n" in forward else f"    return {forward}"


@contextlib.contextmanager
def torch_dropout_as_identity() -> Iterator[None]:
    """Both sides without dropout masks (their generators differ), as the check runs them:
    torch's feature and alpha dropouts kept every unit, the twin under identity_dropout."""
    functional = torch.nn.functional
    originals = {name: getattr(functional, name) for name in FEATURE_DROPOUTS}
    for name in FEATURE_DROPOUTS:
        setattr(functional, name, lambda input, *args, **kwargs: input)
    try:
        with twin_lib.identity_dropout():
            yield
    finally:
        for name, function in originals.items():
            setattr(functional, name, function)


def run_sides(code: str, traced: bool = False) -> tuple:
    """tests.test_twin_table.run_both, also giving the TF side to read its state after."""
    with torch_dropout_as_identity():
        torch_run = twin_run.run_torch(code)
        text = translate(code).code
        tf_side = twin_run.load_tf(text, torch_run)
        function, concrete = twin_run.trace(tf_side) if traced else (
            tf_side.namespace["forward"], None)
        outputs, grads = twin_run.run_tape(function, tf_side, torch_run.differentiable)
    return text, torch_run, tf_side, outputs, grads, concrete


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("key, forward, tf_text, module", ROWS, ids=[r[0] for r in ROWS])
def test_row_matches_torch(key: str, forward: str, tf_text: str, module: str) -> None:
    code = SNIPPET.format(module=module, body=_body(forward))
    text, torch_run, tf_side, outputs, grads, concrete = run_sides(code, key.startswith(TRACED))
    assert tf_text in text
    if concrete is not None:  # the tensor-dependent if is one If op, the layers in its arms
        ops = {op.type for op in concrete.graph.get_operations()}
        assert ops & {"If", "StatelessIf"}, sorted(ops)
    assert "torch" not in text
    assert_same_run(torch_run, outputs, grads)
    # what forward left behind: running statistics, counts, renormalised embedding rows
    for path, tensor in torch_run.program.module_tensors():
        assert_same(_array(tensor), np.asarray(twin_paths.get(tf_side.namespace, path)),
                    f"{path} after forward")


def test_every_table_entry_has_a_row() -> None:
    covered = {r[0].split("/")[0] for r in ROWS}
    keys = set(table_layers.FUNCTIONS) | {f"class:{k}" for k in table_layers.CLASSES}
    assert keys - covered == set()


def test_running_statistics_move_as_torch_says() -> None:
    """The twin's buffers after one train-mode call, against torch's documented formula
    (momentum 0.1, unbiased variance), not against torch's run."""
    bn = twin_lib.BatchNorm1d(2)
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 1.0]], np.float32)
    bn(tf.constant(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-6)
    assert bn.num_batches_tracked.numpy() == 1


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, shape, channels", [
    ("dropout1d", (4, 8, 50), (4, 8, 1)), ("dropout1d", (8, 50), (8, 1)),
    ("dropout2d", (4, 8, 5, 10), (4, 8, 1, 1)), ("dropout2d", (4, 8, 50), (4, 8, 1)),
    ("dropout3d", (4, 8, 2, 5, 5), (4, 8, 1, 1, 1)), ("dropout3d", (8, 2, 5, 5), (8, 1, 1, 1))])
def test_feature_dropout_drops_whole_channels(name: str, shape: tuple, channels: tuple) -> None:
    """Outside the check the twin really drops: every channel is all zeros or all scaled by
    1/(1-p), as torch's own draw is (the mask torch makes has the same layout)."""
    x = np.ones(shape, np.float32)
    for out in (getattr(twin_lib, name)(tf.constant(x), 0.5).numpy(),
                getattr(torch.nn.functional, name)(torch.ones(shape), 0.5).numpy()):
        rows = out.reshape(int(np.prod([c for c in channels if c != 1])), -1)
        assert set(np.unique(rows)) <= {0.0, 2.0}
        assert all(len(np.unique(row)) == 1 for row in rows)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_takes_torch_values(name: str) -> None:
    """On ones, torch's alpha dropout gives two values (kept and dropped); the twin's real
    draw gives the same two."""
    x = np.ones((4, 6, 30), np.float32)
    twin = np.unique(getattr(twin_lib, name)(tf.constant(x), 0.3, True).numpy())
    ours = np.unique(getattr(torch.nn.functional, name)(torch.ones(4, 6, 30), 0.3, True).numpy())
    np.testing.assert_allclose(twin, ours, rtol=1e-6)
    assert len(ours) == 2


def test_lazy_linear_takes_values_set_at_its_paths() -> None:
    """Uninitialised, the twin's LazyLinear holds None, so the torch run's values bind there
    by path (as the check sets them), and forward uses them."""
    lazy = twin_lib.LazyLinear(2)
    assert lazy.weight is None and lazy.bias is None
    layer = torch.nn.Linear(3, 2)
    namespace = {"lazy": lazy}
    for path in ("lazy.weight", "lazy.bias"):
        value = _array(twin_paths.get({"lazy": layer}, path))
        twin_paths.put(namespace, path, tf.Variable(value))
    x = torch.randn(4, 3)
    assert_same(layer(x).detach().numpy(), lazy(tf.constant(x.numpy())).numpy(), "output")
    assert len(lazy.trainable_variables) == 2


@pytest.mark.parametrize("code, fragment", [
    ("F.batch_norm(x3, rm, rv, training=True)", "running_mean"),
    ("nn.Unflatten('c', (('a', 2), ('b', 2)))(x3)", "named dimension"),
])
def test_refused_forms_say_why(code: str, fragment: str) -> None:
    """What the twin cannot do the torch way fails with a reason, never silently."""
    snippet_code = SNIPPET.format(module="rm = torch.zeros(4)\nrv = torch.ones(4)",
                                  body=_body(code))
    torch_run = twin_run.run_torch(snippet_code) if "Unflatten" not in code else None
    text = translate(snippet_code).code
    if torch_run is None:
        with pytest.raises(NotImplementedError, match=fragment):
            twin_lib.Unflatten("c", (("a", 2), ("b", 2)))
        return
    tf_side = twin_run.load_tf(text, torch_run)
    with pytest.raises(NotImplementedError, match=fragment):
        tf_side.namespace["forward"](*tf_side.inputs)


@pytest.mark.parametrize("module, body", [
    ("net = nn.Sequential(nn.BatchNorm1d(4), nn.Flatten(), nn.Linear(24, 3), nn.LayerNorm(3))",
     "    return torch.sin(net(x3))"),
    ("net = nn.Sequential(nn.LazyBatchNorm1d(), nn.Flatten(), nn.LazyLinear(3), nn.RMSNorm(3))",
     "    return torch.sin(net(x3))"),
    ("norms = nn.ModuleDict({'ln': nn.LayerNorm(6), 'gn': nn.GroupNorm(2, 4)})\n"
     "drop = nn.Dropout2d(0.5)\ndrop.eval()",
     "    h = norms['gn'](x3)\n    if h.sum() > 0:\n        h = norms['ln'](h)\n"
     "    return torch.sin(drop(h)).sum() + x2.sum()"),
])
def test_compare_end_to_end(module: str, body: str) -> None:
    result = compare(SNIPPET.format(module=module, body=body))
    assert result["status"] == "ok", result.get("message")
    assert result["equivalent"] is True, result["message"]
