"""The core table's rows for the tensor ops a student types beyond the basics: indexing ops,
reductions, comparisons, elementwise maths, shape ops and factories. Merged into ``table``'s
core dicts (and tested row by row with them); the helpers named ``tt.`` are in
``explorer.twin.lib_ops``. Pure text, like ``table``.
"""
from __future__ import annotations

from explorer.twin.rules import FACTORY, Rule, reduction, unary

_DIM = "input, dim=None, keepdim=None"
_VAR = "input, dim=None, unbiased=None, keepdim=None, *, correction=None"


def _pair(tf_name: str, other: str = "other") -> tuple[Rule, ...]:
    return (Rule(f"input, {other}", f"{tf_name}({{input}}, {{{other}}})"),)


def _boolean(tf_name: str) -> tuple[Rule, ...]:
    """torch.any/all: any dtype (nonzero is True); TF's reductions take bools only."""
    return (Rule(_DIM, f"{tf_name}(tf.cast({{input}}, tf.bool)<, axis={{dim}}>"
                       "<, keepdims={keepdim}>)"),)


def _arg(tf_name: str, tt_name: str) -> tuple[Rule, ...]:
    """argmax/argmin: of the flattened tensor, or along a dim (keeping it when asked)."""
    return (Rule("input", f"{tf_name}(tf.reshape({{input}}, [-1]))"),
            Rule("input, dim", f"{tf_name}({{input}}, axis={{dim}})"),
            Rule("input, dim, keepdim", f"{tt_name}({{input}}, {{dim}}, {{keepdim}})"))


def _band(tf_lower: str, tf_upper: str, tt_name: str) -> tuple[Rule, ...]:
    """triu/tril: tf.linalg.band_part on the main diagonal, a mask beside it."""
    return (Rule("input, diagonal=None", f"tf.linalg.band_part({{input}}, {tf_lower}, {tf_upper})",
                 when="no_diagonal"),
            Rule("input, diagonal", f"{tt_name}({{input}}, {{diagonal}})"))


_EINSUM = (Rule("equation, *operands", "tf.einsum({equation}, {operands:*})"),)
_SCATTER = (Rule("input, dim, index, src", "tt.scatter({input}, {dim}, {index}, {src})"),
            Rule("input, dim, index, *, value",
                 "tt.scatter({input}, {dim}, {index}, value={value})"))

SHARED: dict[str, tuple[Rule, ...]] = {
    # a count of bools: torch sums them as int64, TF sums no bools
    "sum": (Rule("input, dim=None, keepdim=None, *, dtype=None",
                 "tf.reduce_sum(tf.cast({input}, tf.int64)<, axis={dim}><, keepdims={keepdim}>)",
                 when="input_is_bool"), *reduction("tf.reduce_sum")),
    "trace": (Rule("input", "tf.linalg.trace({input})"),),
    "diagonal": (Rule("input, offset=0, dim1=0, dim2=1",
                      "tt.diagonal({input}, {offset}, {dim1}, {dim2})"),),
    # products
    "bmm": _pair("tf.matmul", "mat2"),
    "outer": (Rule("input, vec2", "tf.tensordot({input}, {vec2}, axes=0)"),),
    "addmm": (Rule("input, mat1, mat2, *, beta=None, alpha=None",
                   "(<{beta:p} * >{input:p} + <{alpha:p} * >tf.matmul({mat1}, {mat2}))"),),
    "baddbmm": (Rule("input, batch1, batch2, *, beta=None, alpha=None",
                     "(<{beta:p} * >{input:p} + <{alpha:p} * >tf.matmul({batch1}, {batch2}))"),),
    # indexing
    "gather": (Rule("input, dim, index", "tt.gather({input}, {dim}, {index})"),),
    "scatter": _SCATTER,
    "scatter_add": (Rule("input, dim, index, src",
                         "tt.scatter_add({input}, {dim}, {index}, {src})"),),
    "index_select": (Rule("input, dim, index", "tf.gather({input}, {index}, axis={dim})"),),
    "masked_fill": (Rule("input, mask, value", "tf.where({mask}, {value}, {input})"),),
    "triu": _band("0", "-1", "tt.triu"), "tril": _band("-1", "0", "tt.tril"),
    "diag": (Rule("input, diagonal=0", "tt.diag({input}, {diagonal})"),),
    # scans and reductions
    "cumsum": (Rule("input, dim, *, dtype=None", "tf.cumsum({input}, axis={dim})"),),
    "cumprod": (Rule("input, dim, *, dtype=None", "tf.math.cumprod({input}, axis={dim})"),),
    "logsumexp": (Rule("input, dim, keepdim=None",
                       "tf.reduce_logsumexp({input}, axis={dim}<, keepdims={keepdim}>)"),),
    "prod": (Rule("input, dim=None, keepdim=None, *, dtype=None",
                  "tf.reduce_prod({input}<, axis={dim}><, keepdims={keepdim}>)"),),
    "amax": reduction("tf.reduce_max"), "amin": reduction("tf.reduce_min"),
    "var": (Rule(_VAR, "tt.var({input}<, {dim}><, unbiased={unbiased}><, keepdim={keepdim}>"
                       "<, correction={correction}>)"),),
    "std": (Rule(_VAR, "tt.std({input}<, {dim}><, unbiased={unbiased}><, keepdim={keepdim}>"
                       "<, correction={correction}>)"),),
    "argmax": _arg("tf.argmax", "tt.argmax"), "argmin": _arg("tf.argmin", "tt.argmin"),
    "any": _boolean("tf.reduce_any"), "all": _boolean("tf.reduce_all"),
    "topk": (Rule("input, k, dim=None, largest=None, sorted=None",
                  "tt.topk({input}, {k}<, {dim}><, largest={largest}>)"),),
    "sort": (Rule("input, dim=None, descending=None, *, stable=None",
                  "tt.sort({input}<, {dim}><, descending={descending}>)"),),
    "argsort": (Rule("input, dim=None, descending=None, *, stable=None",
                     "tt.argsort({input}<, {dim}><, descending={descending}>)"),),
    # comparisons and logic
    "eq": _pair("tf.equal"), "ne": _pair("tf.not_equal"), "gt": _pair("tf.greater"),
    "ge": _pair("tf.greater_equal"), "lt": _pair("tf.less"), "le": _pair("tf.less_equal"),
    "isclose": (Rule("input, other, rtol=1e-05, atol=1e-08, equal_nan=None",
                     "(tf.abs({input:p} - {other:p}) <= {atol} + {rtol} * tf.abs({other}))"),),
    "logical_and": _pair("tf.logical_and"), "logical_or": _pair("tf.logical_or"),
    "logical_xor": _pair("tf.math.logical_xor"), "logical_not": unary("tf.logical_not"),
    # elementwise maths
    "clamp_min": (Rule("input, min", "tf.maximum({input}, {min})"),),
    "clamp_max": (Rule("input, max", "tf.minimum({input}, {max})"),),
    "exp2": (Rule("input", "tf.pow(2.0, {input})"),),
    "log1p": unary("tf.math.log1p"), "expm1": unary("tf.math.expm1"),
    "log2": unary("tf.experimental.numpy.log2"), "log10": unary("tf.experimental.numpy.log10"),
    "rsqrt": unary("tf.math.rsqrt"), "reciprocal": unary("tf.math.reciprocal"),
    "sign": unary("tf.sign"), "floor": unary("tf.floor"), "ceil": unary("tf.math.ceil"),
    "round": unary("tf.round"), "trunc": unary("tt.trunc"),
    "sinh": unary("tf.sinh"), "cosh": unary("tf.cosh"), "tan": unary("tf.tan"),
    "asin": unary("tf.asin"), "acos": unary("tf.acos"), "atan": unary("tf.atan"),
    "asinh": unary("tf.asinh"), "acosh": unary("tf.acosh"), "atanh": unary("tf.atanh"),
    "erf": unary("tf.math.erf"), "atan2": _pair("tf.atan2"),
    # shapes
    "flatten": (Rule("input, start_dim=None, end_dim=None",
                     "tt.flatten({input}<, {start_dim}><, end_dim={end_dim}>)"),),
    "chunk": (Rule("input, chunks, dim=None", "tt.chunk({input}, {chunks}<, {dim}>)"),),
    "split": (Rule("input, split_size_or_sections, dim=None",
                   "tt.split({input}, {split_size_or_sections}<, {dim}>)"),),
    "unbind": (Rule("input, dim=0", "tf.unstack({input}, axis={dim})"),),
    "roll": (Rule("input, shifts, dims=None", "tt.roll({input}, {shifts}<, {dims}>)"),),
}

FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    **{f"torch.{name}": rules for name, rules in SHARED.items()},
    "torch.einsum": _EINSUM,
    "torch.flip": (Rule("input, dims", "tf.reverse({input}, axis={dims})"),),
    "torch.clip": (Rule("input, min, max", "tf.clip_by_value({input}, {min}, {max})"),),
    "torch.linspace": (  # float32 as torch makes it, whatever the numbers' types
        Rule("start, end, steps" + FACTORY, "tf.cast(tf.linspace({start}, {end}, {steps}), "
                                            "tf.float32)", when="no_dtype"),
        Rule("start, end, steps" + FACTORY, "tf.cast(tf.linspace({start}, {end}, {steps}), "
                                            "{dtype})")),
    "torch.empty": (Rule("*size" + FACTORY, "tf.zeros({size}<, dtype={dtype}>)"),),
    "torch.numel": (Rule("input", "{input:p}.shape.num_elements()"),),
    "torch.full_like": (Rule("input, fill_value, *, dtype, device=None, requires_grad=None",
                             "tf.fill(tf.shape({input}), tf.cast({fill_value}, {dtype}))"),
                        Rule("input, fill_value, *, device=None, requires_grad=None",
                             "tf.fill(tf.shape({input}), tf.cast({fill_value}, "
                             "{input:p}.dtype))")),
    "torch.empty_like": (Rule("input" + FACTORY, "tf.zeros_like({input}<, dtype={dtype}>)"),),
    "torch.rand_like": (Rule("input" + FACTORY, "tf.random.uniform(tf.shape({input}))"),),
    "torch.randn_like": (Rule("input" + FACTORY, "tf.random.normal(tf.shape({input}))"),),
    "torch.nn.functional.normalize": (
        Rule("input, p=None, dim=None, eps=None",
             "tt.normalize({input}<, p={p}><, dim={dim}><, eps={eps}>)"),),
    "torch.nn.functional.one_hot": (
        Rule("tensor, num_classes=None", "tt.one_hot({tensor}<, {num_classes}>)"),),
    "torch.nn.functional.pad": (
        Rule("input, pad, mode=None, value=None",
             "tt.pad({input}, {pad}<, mode={mode}><, value={value}>)"),),
}

METHODS: dict[str, tuple[Rule, ...]] = {
    **SHARED,
    "flip": (Rule("input, *dims", "tt.flip({input}, {dims:*})"),),
    "clip": (Rule("input, min, max", "tf.clip_by_value({input}, {min}, {max})"),),
    "repeat": (Rule("input, *sizes", "tt.repeat({input}, {sizes:*})"),),
    "expand": (Rule("input, *sizes", "tt.expand({input}, {sizes:*})"),),
    "expand_as": (Rule("input, other", "tf.broadcast_to({input}, tf.shape({other}))"),),
    "view_as": (Rule("input, other", "tf.reshape({input}, tf.shape({other}))"),),
    "type_as": (Rule("input, other", "tf.cast({input}, {other:p}.dtype)"),),
    "bool": (Rule("input", "tf.cast({input}, tf.bool)"),),
    "int": (Rule("input", "tf.cast({input}, tf.int32)"),),
    "double": (Rule("input", "tf.cast({input}, tf.float64)"),),
    "new_zeros": (Rule("input, *size" + FACTORY, "tf.zeros({size}, dtype={input:p}.dtype)"),),
    "new_ones": (Rule("input, *size" + FACTORY, "tf.ones({size}, dtype={input:p}.dtype)"),),
    "new_empty": (Rule("input, *size" + FACTORY, "tf.zeros({size}, dtype={input:p}.dtype)"),),
    "new_full": (Rule("input, size, fill_value" + FACTORY,
                      "tf.fill({size}, tf.cast({fill_value}, {input:p}.dtype))"),),
    "new_tensor": (Rule("input, data" + FACTORY, "tf.constant({data}, dtype={input:p}.dtype)"),),
}

IN_PLACE: dict[str, tuple[Rule, ...]] = {
    f"{name}_": METHODS[name] for name in (
        "masked_fill", "clamp_min", "clamp_max", "scatter", "scatter_add", "floor", "ceil",
        "round", "sign", "reciprocal", "log1p", "expm1", "cumsum", "clip")}
