"""One test per row of the ops a student types (explorer.twin.table_ops, the tt helpers of
explorer.twin.lib_ops, indexing with tensors, Python's conversions): the same forward in
PyTorch and as its TF twin; outputs, their dtypes (int64 indices) and every gradient are
checked against torch's own autograd, with numpy."""
from __future__ import annotations

import pytest

from tests.test_twin_table import SNIPPET, _body, assert_same, assert_same_run, run_both

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

_UNARY = {  # name -> an argument in its domain (p is in [0.5, 1.5))
    "exp2": "w", "log1p": "p", "expm1": "w", "log2": "p", "log10": "p", "rsqrt": "p",
    "reciprocal": "p", "sign": "w", "floor": "w", "ceil": "w", "round": "w", "trunc": "w",
    "sinh": "w", "cosh": "w", "tan": "w", "asin": "(p - 1)", "acos": "(p - 1)", "atan": "w",
    "asinh": "w", "acosh": "(p + 1)", "atanh": "(p - 1)", "erf": "w"}
_COMPARE = {"eq": "labels, 1", "ne": "w, x", "gt": "w, x", "ge": "w, 0", "lt": "w, x",
            "le": "w, x"}
_LOGIC = {"logical_and": "w > 0, x > 0", "logical_or": "w > 0, x > 0",
          "logical_xor": "w > 0, x > 0", "logical_not": "w > 0"}
_IN_PLACE = {"masked_fill_": "x > 0, 0.5", "clamp_min_": "0.1", "clamp_max_": "0.1",
             "scatter_": "1, labels[:, None], p", "scatter_add_": "1, labels[:, None], p",
             "floor_": "", "ceil_": "", "round_": "", "sign_": "", "reciprocal_": "",
             "log1p_": "", "expm1_": "", "cumsum_": "1", "clip_": "-0.5, 0.5"}

# (table key it covers, forward: an expression or a body, TF text the twin must contain)
ROWS: list[tuple[str, str, str]] = [
    ("torch.einsum", "torch.einsum('ij,jk->ik', w, m)", "tf.einsum('ij,jk->ik', w, m)"),
    ("torch.bmm", "torch.bmm(w.view(1, 3, 4), m.view(1, 4, 5))", "tf.matmul("),
    ("method:bmm", "w[None].bmm(m[None])", "tf.matmul(w[None], m[None])"),
    ("torch.outer", "torch.outer(w[0], m[0])", "tf.tensordot(w[0], m[0], axes=0)"),
    ("method:outer", "w[0].outer(p[1])", "tf.tensordot("),
    ("torch.addmm", "(torch.addmm(w[:, :1], x, m), torch.addmm(w[:, :1], x, m, beta=0.5, "
                    "alpha=2))", "(0.5 * w[:, :1] + 2 * tf.matmul(x, m))"),
    ("method:addmm", "w[:, :1].addmm(x, m)", "(w[:, :1] + tf.matmul(x, m))"),
    ("torch.baddbmm", "torch.baddbmm(w[None, :, :1], x[None], m[None], alpha=0.5)",
     "0.5 * tf.matmul(x[None], m[None])"),
    ("method:baddbmm", "w[None, :, :1].baddbmm(x[None], m[None])", "tf.matmul("),
    ("torch.matmul/broadcast", "torch.matmul(w[None].repeat(2, 1, 1), m)", "tf.matmul("),
    ("torch.gather", "(torch.gather(w, 1, labels[:, None].repeat(1, 2)), "
                     "torch.gather(w, 0, torch.tensor([[0, 1, 2, 0]])))", "tt.gather(w, 1, "),
    ("method:gather", "w.gather(1, labels[:, None])", "tt.gather(w, 1, labels[:, None])"),
    ("torch.scatter", "(torch.scatter(w, 1, labels[:, None], p), "
                      "torch.scatter(w, 0, torch.tensor([[2, 1, 0, 1]]), value=0.0))",
     "tt.scatter(w, 1, labels[:, None], p)"),
    ("method:scatter", "w.scatter(0, torch.tensor([[2, 1, 0, 1]]), p)", "tt.scatter("),
    ("torch.scatter_add", "torch.scatter_add(w, 0, torch.tensor([[0, 1, 0, 2], [0, 0, 0, 1]]), p)",
     "tt.scatter_add(w, 0, "),
    ("method:scatter_add", "w.scatter_add(1, labels[:, None], p)", "tt.scatter_add("),
    ("torch.index_select", "torch.index_select(w, 1, labels)", "tf.gather(w, labels, axis=1)"),
    ("method:index_select", "m.index_select(0, labels)", "tf.gather(m, labels, axis=0)"),
    ("torch.masked_fill", "torch.masked_fill(w, x > 0, -1.0)", "tf.where(x > 0, -1.0, w)"),
    ("method:masked_fill", "w.masked_fill(x > 0, 0.5)", "tf.where(x > 0, 0.5, w)"),
    ("torch.triu", "(torch.triu(w), torch.triu(w, 1), torch.triu(w, diagonal=-1))",
     "tf.linalg.band_part(w, 0, -1)"),
    ("torch.tril", "(torch.tril(w), torch.tril(w, -1))", "tf.linalg.band_part(w, -1, 0)"),
    ("method:triu", "w.triu(1)", "tt.triu(w, 1)"), ("method:tril", "w.tril()", "band_part"),
    ("torch.diag", "(torch.diag(w), torch.diag(w[0]), torch.diag(w, 1))", "tt.diag(w, 0)"),
    ("method:diag", "w[0].diag()", "tt.diag(w[0], 0)"),
    ("torch.cumsum", "torch.cumsum(w, dim=1)", "tf.cumsum(w, axis=1)"),
    ("method:cumsum", "w.cumsum(0)", "tf.cumsum(w, axis=0)"),
    ("torch.cumprod", "torch.cumprod(p, 1)", "tf.math.cumprod(p, axis=1)"),
    ("method:cumprod", "p.cumprod(dim=0)", "tf.math.cumprod(p, axis=0)"),
    ("torch.logsumexp", "(torch.logsumexp(w, 1), torch.logsumexp(w, dim=0, keepdim=True))",
     "tf.reduce_logsumexp(w, axis=1)"),
    ("method:logsumexp", "w.logsumexp(-1)", "tf.reduce_logsumexp(w, axis=-1)"),
    ("torch.prod", "(torch.prod(p), torch.prod(p, 1), torch.prod(p, 0, keepdim=True))",
     "tf.reduce_prod(p, axis=1)"),
    ("method:prod", "p.prod(1)", "tf.reduce_prod(p, axis=1)"),
    ("torch.amax", "(torch.amax(w, 1), torch.amax(w, dim=(0, 1)))", "tf.reduce_max(w, axis=1)"),
    ("method:amax", "w.amax(0)", "tf.reduce_max(w, axis=0)"),
    ("torch.amin", "torch.amin(w, 1, keepdim=True)", "tf.reduce_min(w, axis=1, keepdims=True)"),
    ("method:amin", "w.amin(0)", "tf.reduce_min(w, axis=0)"),
    ("torch.sum/tuple", "(torch.sum(w, dim=(0, 1)), w.mean((0, 1)))", "axis=(0, 1)"),
    ("torch.var", "(torch.var(w), torch.var(w, 1), torch.var(w, dim=0, unbiased=False), "
                  "torch.var(w, 1, keepdim=True), torch.var(w, dim=(0, 1), correction=0))",
     "tt.var(w, 1)"),
    ("method:var", "w.var(1)", "tt.var(w, 1)"),
    ("torch.std", "(torch.std(w), torch.std(w, 0), torch.std(w, 1, unbiased=False))",
     "tt.std(w)"),
    ("method:std", "w.std(dim=1, keepdim=True)", "tt.std(w, 1, keepdim=True)"),
    ("torch.argmax", "(torch.argmax(w), torch.argmax(w, 1), torch.argmax(w, dim=0, "
                     "keepdim=True), w * 2)", "tt.argmax(w, 0, True)"),
    ("method:argmax", "(w.argmax(), w.argmax(1), w * 2)", "tf.argmax(w, axis=1)"),
    ("torch.argmin", "(torch.argmin(w), torch.argmin(w, 1), torch.argmin(w, 0, True), w * 2)",
     "tf.argmin(w, axis=1)"),
    ("method:argmin", "(w.argmin(0), w * 2)", "tf.argmin(w, axis=0)"),
    ("torch.any", "(torch.any(w > 0), torch.any(w > 0, dim=1), torch.any(labels), w * 2)",
     "tf.reduce_any(tf.cast(w > 0, tf.bool), axis=1)"),
    ("method:any", "((w > 0).any(1), w * 2)", "tf.reduce_any("),
    ("torch.all", "(torch.all(w > -5), torch.all(w > 0, 0), w * 2)", "tf.reduce_all("),
    ("method:all", "((w > 0).all(), w * 2)", "tf.reduce_all("),
    ("torch.topk", "torch.topk(w, 2)", "tt.topk(w, 2)"),
    ("torch.topk/dim", "torch.topk(w, 2, dim=0, largest=False)", "tt.topk(w, 2, 0, largest="),
    ("method:topk", "(w.topk(3, 1).values, w.topk(1).indices)", "tt.topk(w, 3, 1)"),
    ("torch.sort", "torch.sort(w)", "tt.sort(w)"),
    ("torch.sort/dim", "torch.sort(w, 0, descending=True)", "tt.sort(w, 0, descending=True)"),
    ("method:sort", "(w.sort(dim=1).indices, w.sort(0)[0])", "tt.sort(w, 1)"),
    ("torch.argsort", "(torch.argsort(w), w * 2)", "tt.argsort(w)"),
    ("method:argsort", "(w.argsort(0, descending=True), w * 2)", "tt.argsort(w, 0, "),
    *[(f"torch.{n}", f"(torch.{n}({a}), w * 2)", "tf.") for n, a in {**_COMPARE, **_LOGIC}.items()],
    *[(f"method:{n}", f"(({a.split(', ')[0]}).{n}({', '.join(a.split(', ')[1:])}), w * 2)",
       "tf.") for n, a in {**_COMPARE, **_LOGIC}.items()],
    ("torch.isclose", "(torch.isclose(w, x, atol=0.5), torch.isclose(w, w * 1.1, 0.2), w * 2)",
     "(tf.abs(w - x) <= 0.5 + 1e-05 * tf.abs(x))"),
    ("method:isclose", "(w.isclose(x, rtol=0.5), w * 2)", "tf.abs(w - x) <= 1e-08 + 0.5"),
    ("torch.linspace", "(w * torch.linspace(0, 1, 4), "
                       "torch.linspace(0, 2, 3, dtype=torch.float64))",
     "tf.cast(tf.linspace(0, 1, 4), tf.float32)"),
    ("torch.empty", "w * torch.empty(2, 3).shape[1]", "tf.zeros((2, 3))"),
    ("torch.sum/bool", "(torch.sum(w > 0), (w > x).sum(1), (~(w > 0)).sum(), w * 2)",
     "tf.reduce_sum(tf.cast(w > 0, tf.int64))"),
    ("method:sum/bool", "h = w * 2\n    mask = h > 0\n    return mask.sum(), h",
     "tf.reduce_sum(tf.cast(mask, tf.int64))"),
    ("torch.trace", "torch.trace(w)", "tf.linalg.trace(w)"),
    ("method:trace", "m.trace()", "tf.linalg.trace(m)"),
    ("torch.diagonal", "(torch.diagonal(w), torch.diagonal(w, 1), "
                       "torch.diagonal(w.view(3, 2, 2), 0, 1, 2))", "tt.diagonal(w, 0, 0, 1)"),
    ("method:diagonal", "w.diagonal(-1)", "tt.diagonal(w, -1, 0, 1)"),
    ("op:bool", "((w > 0) & (x > 0), (w > 0) | (x > 0), ~(w > 0), w * 2)", "~(w > 0)"),
    ("torch.clamp_min", "torch.clamp_min(w, 0.1)", "tf.maximum(w, 0.1)"),
    ("method:clamp_min", "w.clamp_min(0.1)", "tf.maximum(w, 0.1)"),
    ("torch.clamp_max", "torch.clamp_max(w, 0.1)", "tf.minimum(w, 0.1)"),
    ("method:clamp_max", "w.clamp_max(0.1)", "tf.minimum(w, 0.1)"),
    ("torch.clip", "torch.clip(w, -0.5, 0.5)", "tf.clip_by_value(w, -0.5, 0.5)"),
    ("method:clip", "w.clip(-0.5, 0.5)", "tf.clip_by_value(w, -0.5, 0.5)"),
    *[(f"torch.{n}", f"torch.{n}({a})", "tf.") for n, a in _UNARY.items()],
    *[(f"method:{n}", f"{a}.{n}()", "tf.") for n, a in _UNARY.items()],
    ("torch.atan2", "torch.atan2(w, p)", "tf.atan2(w, p)"),
    ("method:atan2", "w.atan2(p)", "tf.atan2(w, p)"),
    ("torch.flatten", "(torch.flatten(w), torch.flatten(w.view(3, 2, 2), 1))", "tt.flatten(w)"),
    ("method:flatten", "w.view(3, 2, 2).flatten(0, 1)", "tt.flatten("),
    ("torch.chunk", "torch.chunk(w, 3, 1)", "tt.chunk(w, 3, 1)"),
    ("method:chunk", "w.chunk(2)", "tt.chunk(w, 2)"),
    ("torch.split", "torch.split(w, 3, dim=1)", "tt.split(w, 3, 1)"),
    ("torch.split/sizes", "torch.split(w, [1, 2])", "tt.split(w, [1, 2])"),
    ("method:split", "w.split(2, 1)", "tt.split(w, 2, 1)"),
    ("torch.unbind", "torch.unbind(w, 1)", "tf.unstack(w, axis=1)"),
    ("method:unbind", "w.unbind()", "tf.unstack(w, axis=0)"),
    ("torch.roll", "(torch.roll(w, 1), torch.roll(w, 2, 1), torch.roll(w, (1, 1), (0, 1)))",
     "tt.roll(w, 1)"),
    ("method:roll", "w.roll(-1, 0)", "tt.roll(w, -1, 0)"),
    ("torch.flip", "torch.flip(w, [0, 1])", "tf.reverse(w, axis=[0, 1])"),
    ("method:flip", "(w.flip(0), w.flip([0, 1]), w.flip(0, 1))", "tt.flip(w, 0, 1)"),
    ("torch.numel", "w * torch.numel(w)", "w.shape.num_elements()"),
    ("torch.full_like", "(torch.full_like(w, 2.0) * w, torch.full_like(labels, 3), "
                        "torch.full_like(w, 1, dtype=torch.float64))",
     "tf.fill(tf.shape(w), tf.cast(2.0, w.dtype))"),
    ("torch.empty_like", "w * torch.empty_like(w).shape[1]", "tf.zeros_like(w)"),
    ("torch.rand_like", "w * torch.rand_like(w).shape[1]", "tf.random.uniform(tf.shape(w))"),
    ("torch.randn_like", "w * torch.randn_like(w).shape[0]", "tf.random.normal(tf.shape(w))"),
    ("torch.nn.functional.normalize", "(F.normalize(w), F.normalize(w, dim=0), "
                                      "F.normalize(w, p=1.0, dim=1))", "tt.normalize(w)"),
    ("torch.nn.functional.one_hot", "(F.one_hot(labels, 4), F.one_hot(labels), w * 2)",
     "tt.one_hot(labels, 4)"),
    ("torch.nn.functional.pad", "(F.pad(w, (1, 2)), F.pad(w, (1, 0, 0, 2), value=1.0))",
     "pad(w, (1, 2))"),
    ("method:repeat", "(w.repeat(2, 1), w.repeat(1, 2, 1), w.repeat((2, 2)))",
     "tt.repeat(w, 2, 1)"),
    ("method:expand", "(w[:, :1].expand(3, 4), w[None].expand(2, -1, -1))", "tt.expand("),
    ("method:expand_as", "w[:, :1].expand_as(x)", "tf.broadcast_to(w[:, :1], tf.shape(x))"),
    ("method:view_as", "w.view_as(x.t())", "tf.reshape(w, tf.shape(tf.transpose(x)))"),
    ("method:type_as", "(labels.type_as(w) * w[0, 0], w.type_as(labels))",
     "tf.cast(labels, w.dtype)"),
    ("method:bool", "(w.bool(), w * 2)", "tf.cast(w, tf.bool)"),
    ("method:int", "(labels.int(), w * 2)", "tf.cast(labels, tf.int32)"),
    ("method:double", "w.double()", "tf.cast(w, tf.float64)"),
    ("method:new_zeros", "(w.new_zeros(2, 3), labels.new_zeros(2), w * 2)",
     "tf.zeros((2, 3), dtype=w.dtype)"),
    ("method:new_ones", "(w.new_ones((2,)), w * 2)", "tf.ones((2,), dtype=w.dtype)"),
    ("method:new_empty", "w * w.new_empty(3).shape[0]", "tf.zeros((3,), dtype=w.dtype)"),
    ("method:new_full", "(w.new_full((2, 2), 3.0), w * 2)", "tf.fill((2, 2), tf.cast(3.0, "),
    ("method:new_tensor", "w * w.new_tensor([1.0, 2.0, 3.0, 4.0])",
     "tf.constant([1.0, 2.0, 3.0, 4.0], dtype=w.dtype)"),
    ("method:to/tensor", "(labels.to(w) * w[0, 0], w.to(labels))", "tf.cast(labels, w.dtype)"),
    *[(f"inplace:{n}", f"h = p * 1\n    h.{n}({a})\n    return h", "h = ")
      for n, a in _IN_PLACE.items()],
    ("builtin:float", "w * float(w.sum())", "tf.stop_gradient(tf.cast(tf.reduce_sum(w), "),
    ("builtin:int", "w[int(labels[0]) % 3] * 2", "tf.cast(tf.stop_gradient(labels[0]), "),
    ("op:index/tensor", "(m[labels], w[:, labels], w[labels % 3, labels], w[labels % 3, 1:])",
     "tt.index(m, labels)"),
    ("op:index/mask", "(w[w > 0], x[x.sum(1) > 0], w[:, x[0] > 0])", "tf.boolean_mask(w, w > 0)"),
    ("op:shape", "w * x.shape[1] + len(x)", "x.shape[1]"),
]


@pytest.mark.parametrize("key, forward, tf_text", ROWS, ids=[r[0] for r in ROWS])
def test_op_row_matches_torch(key: str, forward: str, tf_text: str) -> None:
    code = SNIPPET.format(module="", body=_body(forward))
    text, torch_run, outputs, grads = run_both(code, traced=False)
    assert tf_text in text
    assert "torch" not in text
    assert_same_run(torch_run, outputs, grads, differentiates=False)


def test_ops_trace_into_one_graph() -> None:
    """The helpers trace under tf.function too (static shapes, no Python-only values)."""
    body = ("    a = torch.sort(w, 1).values + torch.topk(w, 4).values + tt_free(w)\n"
            "    return a, torch.gather(w, 1, labels[:, None]), m[labels], w[w > 0]")
    code = SNIPPET.format(module="def tt_free(v):\n    return v.flip(0).roll(1, 1).cumsum(1)",
                          body=body)
    text, torch_run, outputs, _ = run_both(code, traced=True)
    for i, (expected, actual) in enumerate(zip(torch_run.outputs, outputs)):
        assert_same(expected, actual, f"output {i}")
