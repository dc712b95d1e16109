"""TensorFlow versions of torch tensor ops with no one-line TF spelling: the twin runtime's
op helpers (re-exported by ``explorer.twin.lib``, which generated code imports as ``tt``).

Each follows torch's semantics exactly where TF's nearest op differs: torch's ``dim``
arguments, int64 indices, (values, indices) pairs, unbiased variance, ceil-division chunks.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import tensorflow as tf

do_not_convert = tf.autograph.experimental.do_not_convert

SortResult = namedtuple("SortResult", "values indices")  # torch.sort and torch.topk return this


def _axis(x: tf.Tensor, dim: int) -> int:
    return dim % x.shape.rank if x.shape.rank else 0


@do_not_convert
def argmax(x: tf.Tensor, dim: int, keepdim: bool = False) -> tf.Tensor:
    index = tf.argmax(x, axis=dim)
    return tf.expand_dims(index, dim) if keepdim else index


@do_not_convert
def argmin(x: tf.Tensor, dim: int, keepdim: bool = False) -> tf.Tensor:
    index = tf.argmin(x, axis=dim)
    return tf.expand_dims(index, dim) if keepdim else index


def _coordinates(index: tf.Tensor, dim: int) -> tf.Tensor:
    """torch's gather/scatter address ``[i0, .., index[i], .., in]``: every position of
    ``index`` with ``index``'s own value at ``dim``, as tf.gather_nd indices."""
    index = tf.cast(index, tf.int64)
    grids = tf.meshgrid(*[tf.range(n, dtype=tf.int64) for n in index.shape], indexing="ij")
    grids[dim] = index
    return tf.stack(grids, axis=-1)


@do_not_convert
def gather(x: tf.Tensor, dim: int, index: tf.Tensor) -> tf.Tensor:
    """``torch.gather``: ``out[i][j] = x[index[i][j]][j]`` for dim 0 (index may be smaller
    than ``x`` in the other dimensions, unlike tf.experimental.numpy.take_along_axis)."""
    return tf.gather_nd(x, _coordinates(index, _axis(x, dim)))


@do_not_convert
def scatter(x: tf.Tensor, dim: int, index: tf.Tensor, src: Any = None, value: Any = None,
            reduce: str | None = None) -> tf.Tensor:
    """``torch.scatter``: a copy of ``x`` with ``src`` (or ``value``) written at the
    positions ``index`` names along ``dim``."""
    updates = _updates(x, index, value if src is None else src)
    coordinates = _coordinates(index, _axis(x, dim))
    if reduce == "add":
        return tf.tensor_scatter_nd_add(x, coordinates, updates)
    return tf.tensor_scatter_nd_update(x, coordinates, updates)


@do_not_convert
def scatter_add(x: tf.Tensor, dim: int, index: tf.Tensor, src: tf.Tensor) -> tf.Tensor:
    """``torch.scatter_add``: ``src`` added in at ``index`` (repeated positions add up)."""
    return tf.tensor_scatter_nd_add(x, _coordinates(index, _axis(x, dim)), _updates(x, index, src))


def _updates(x: tf.Tensor, index: tf.Tensor, src: Any) -> tf.Tensor:
    """The part of ``src`` that torch reads: its corner of ``index``'s shape."""
    if not isinstance(src, (tf.Tensor, tf.Variable)):
        return tf.fill(tf.shape(index), tf.cast(src, x.dtype))
    return tf.cast(src[tuple(slice(0, n) for n in index.shape)], x.dtype)


@do_not_convert
def triu(x: tf.Tensor, diagonal: int = 0) -> tf.Tensor:
    rows, cols = _grid(x)
    return tf.where(cols - rows >= diagonal, x, tf.zeros_like(x))


@do_not_convert
def tril(x: tf.Tensor, diagonal: int = 0) -> tf.Tensor:
    rows, cols = _grid(x)
    return tf.where(cols - rows <= diagonal, x, tf.zeros_like(x))


def _grid(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Row and column numbers of the last two dimensions, broadcastable against ``x``."""
    rows = tf.range(tf.shape(x)[-2])[:, None]
    return rows, tf.range(tf.shape(x)[-1])[None, :]


@do_not_convert
def trunc(x: tf.Tensor) -> tf.Tensor:
    """Rounds toward zero (TF has floor and ceil, not trunc, for floats)."""
    return tf.where(x < 0, tf.math.ceil(x), tf.floor(x))


@do_not_convert
def flatten(x: tf.Tensor, start_dim: int = 0, end_dim: int = -1) -> tf.Tensor:
    rank = x.shape.rank
    if rank == 0:
        return tf.reshape(x, [1])
    start, end = start_dim % rank, end_dim % rank
    shape = tf.shape(x)
    merged = tf.reduce_prod(shape[start:end + 1], keepdims=True)
    return tf.reshape(x, tf.concat([shape[:start], merged, shape[end + 1:]], axis=0))


@do_not_convert
def chunk(x: tf.Tensor, chunks: int, dim: int = 0) -> tuple[tf.Tensor, ...]:
    """torch's chunks: each ``ceil(n / chunks)`` long, the last shorter, maybe fewer."""
    n = x.shape[dim]
    size = -(-n // chunks)
    return split(x, size, dim)


@do_not_convert
def split(x: tf.Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[tf.Tensor, ...]:
    """``torch.split``: pieces of one size (the last shorter) or of the listed sizes."""
    if isinstance(split_size_or_sections, int):
        n = x.shape[dim]
        size = split_size_or_sections
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = list(split_size_or_sections)
    return tuple(tf.split(x, sizes, axis=dim))


def _sizes(sizes: tuple) -> list:
    """``repeat(2, 3)`` and ``repeat((2, 3))`` alike."""
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple, tf.TensorShape)):
        return list(sizes[0])
    return list(sizes)


@do_not_convert
def repeat(x: tf.Tensor, *sizes: Any) -> tf.Tensor:
    """``x.repeat(...)``: tf.tile, with new leading dimensions where torch adds them."""
    sizes = _sizes(sizes)
    extra = len(sizes) - x.shape.rank
    x = tf.reshape(x, [1] * extra + x.shape.as_list()) if extra > 0 else x
    return tf.tile(x, sizes)


@do_not_convert
def expand(x: tf.Tensor, *sizes: Any) -> tf.Tensor:
    """``x.expand(...)``: tf.broadcast_to, where -1 keeps that dimension."""
    sizes = _sizes(sizes)
    known = [1] * (len(sizes) - x.shape.rank) + x.shape.as_list()
    return tf.broadcast_to(x, [k if s == -1 else s for s, k in zip(sizes, known)])


@do_not_convert
def flip(x: tf.Tensor, *dims: Any) -> tf.Tensor:
    return tf.reverse(x, axis=_sizes(dims))


@do_not_convert
def roll(x: tf.Tensor, shifts: Any, dims: Any = None) -> tf.Tensor:
    """``torch.roll``; without ``dims`` the flattened tensor rolls, then takes its shape."""
    if dims is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shifts, axis=0), tf.shape(x))
    return tf.roll(x, shifts, axis=dims)


@do_not_convert
def topk(x: tf.Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> SortResult:  # noqa: A002 (torch's name)
    """``torch.topk``: tf.math.top_k works on the last axis, so other dims move there."""
    axis = _axis(x, dim)
    moved = _to_last(x, axis)
    values, indices = tf.math.top_k(moved if largest else -moved, k=k, sorted=True)
    values = values if largest else -values
    return SortResult(_from_last(values, axis), _from_last(tf.cast(indices, tf.int64), axis))


@do_not_convert
def sort(x: tf.Tensor, dim: int = -1, descending: bool = False,
         stable: bool = False) -> SortResult:
    axis = _axis(x, dim)
    indices = tf.argsort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING",
                         stable=True)
    return SortResult(_take(x, indices, axis), tf.cast(indices, tf.int64))


@do_not_convert
def argsort(x: tf.Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> tf.Tensor:
    return sort(x, dim, descending).indices


def _take(x: tf.Tensor, indices: tf.Tensor, axis: int) -> tf.Tensor:
    return tf.experimental.numpy.take_along_axis(x, indices, axis=axis)


def _to_last(x: tf.Tensor, axis: int) -> tf.Tensor:
    rank = x.shape.rank
    if axis == rank - 1:
        return x
    return tf.transpose(x, [d for d in range(rank) if d != axis] + [axis])


def _from_last(x: tf.Tensor, axis: int) -> tf.Tensor:
    rank = x.shape.rank
    if axis == rank - 1:
        return x
    perm = list(range(rank - 1))
    perm.insert(axis, rank - 1)
    return tf.transpose(x, perm)


@do_not_convert
def var(x: tf.Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False,
        correction: Any = None) -> tf.Tensor:
    """``torch.var``: unbiased (divides by n - 1) unless told otherwise."""
    correction = (1 if unbiased else 0) if correction is None else correction
    mean = tf.reduce_mean(x, axis=dim, keepdims=True)
    squares = tf.reduce_sum(tf.square(x - mean), axis=dim, keepdims=keepdim)
    n = tf.cast(tf.size(x) // tf.size(mean), x.dtype)
    return squares / (n - correction)


@do_not_convert
def std(x: tf.Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False,
        correction: Any = None) -> tf.Tensor:
    return tf.sqrt(var(x, dim, unbiased, keepdim, correction))


@do_not_convert
def normalize(x: tf.Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> tf.Tensor:
    """``F.normalize``: x / max(||x||_p, eps) along ``dim``."""
    norm = tf.norm(x, ord=p, axis=dim, keepdims=True)
    return x / tf.maximum(norm, eps)


@do_not_convert
def one_hot(x: tf.Tensor, num_classes: int = -1) -> tf.Tensor:
    """``F.one_hot``: int64, as many classes as the largest label needs when not told."""
    depth = tf.reduce_max(x) + 1 if num_classes == -1 else num_classes
    return tf.one_hot(x, tf.cast(depth, tf.int32), dtype=tf.int64)


@do_not_convert
def pad(x: tf.Tensor, pad: Any, mode: str = "constant", value: float = 0.0) -> tf.Tensor:
    """``F.pad``: torch lists (before, after) pairs from the last dimension backwards."""
    pairs = [[0, 0]] * (x.shape.rank - len(pad) // 2)
    pairs += [[pad[i], pad[i + 1]] for i in reversed(range(0, len(pad), 2))]
    return tf.pad(x, pairs, mode=mode.upper(), constant_values=value)


@do_not_convert
def diag(x: tf.Tensor, diagonal: int = 0) -> tf.Tensor:
    """``torch.diag``: a vector becomes a diagonal matrix, a matrix gives its diagonal."""
    if x.shape.rank == 1:
        return tf.linalg.diag(x, k=diagonal)
    return tf.linalg.diag_part(x, k=diagonal)


@do_not_convert
def diagonal(x: tf.Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> tf.Tensor:
    """``torch.diagonal``: TF takes the diagonal of the last two dimensions, torch of
    ``dim1`` and ``dim2`` (the first two by default), so those move last."""
    rank = x.shape.rank
    dim1, dim2 = dim1 % rank, dim2 % rank
    rest = [d for d in range(rank) if d not in (dim1, dim2)]
    return tf.linalg.diag_part(tf.transpose(x, [*rest, dim1, dim2]), k=offset)


@do_not_convert
def index(x: Any, key: Any) -> Any:
    """``x[key]`` where the key holds tensors: an int tensor picks rows (tf.gather), a
    bool tensor keeps the rows it marks (tf.boolean_mask), per dimension, as torch does
    for one tensor in the key."""
    if not isinstance(x, (tf.Tensor, tf.Variable)):
        return x[key]
    parts = key if isinstance(key, tuple) else (key,)
    tensors = [i for i, k in enumerate(parts) if isinstance(k, (tf.Tensor, tf.Variable))
               and k.shape.rank]
    if not tensors:
        return x[key]
    if len(tensors) > 1:
        # several index tensors: torch pairs them up elementwise, as tf.gather_nd does
        coordinates = tf.stack([tf.cast(parts[i], tf.int64) for i in tensors], axis=-1)
        return tf.gather_nd(x, coordinates)
    [at] = tensors
    before = parts[:at]
    if not all(isinstance(k, slice) and k == slice(None) for k in before):
        raise NotImplementedError("a tensor index after other indices")
    picked = parts[at]
    if picked.dtype == tf.bool:
        out = tf.boolean_mask(x, picked, axis=at)
    else:
        out = tf.gather(x, picked, axis=at)
    rest = parts[at + 1:]
    return out[(slice(None),) * (at + 1) + rest] if rest else out


__all__ = ["SortResult", "argmax", "argmin", "argsort", "chunk", "diag", "diagonal", "expand",
           "flatten", "flip", "gather", "index", "normalize", "one_hot", "pad", "repeat", "roll",
           "scatter", "scatter_add", "sort", "split", "std", "topk", "tril", "triu", "trunc",
           "var"]
