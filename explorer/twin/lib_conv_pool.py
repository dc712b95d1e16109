"""TensorFlow twins of torch.nn's pooling: max, average, LP and adaptive, 1-3d, in torch's
layout (N, C, *spatial) or unbatched (C, *spatial), with torch's output sizes (ceil_mode) and
divisors (count_include_pad, divisor_override)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from explorer.twin.lib import Module, do_not_convert
from explorer.twin.lib_conv_pad import batched, channels_first, channels_last, ntuple, unbatched

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "lp_pool1d", "lp_pool2d", "lp_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d",
           "AvgPool2d", "AvgPool3d", "LPPool1d", "LPPool2d", "LPPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AdaptiveMaxPool3d"]


def _windows(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> tuple[int, int]:
    """torch's output length along one dim, and the padding after the input that a VALID
    pool needs to make exactly that many windows (ceil_mode adds a last, partial one, which
    must start inside the input or its left padding)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out, max((out - 1) * s + d * (k - 1) + 1 - size - p, p)


def _pool(x: tf.Tensor, kind: str, kernel: tuple, stride: tuple, pads: list[tuple[int, int]],
          dilation: tuple, fill: float) -> tf.Tensor:
    """A VALID tf.nn.pool over channels-first ``x`` padded with ``fill``."""
    x = tf.pad(x, [[0, 0], [0, 0], *pads], constant_values=fill)
    # tf.nn.pool refuses strides with dilations, and strides longer than the window: pool
    # densely then, and subsample.
    dense = any(d > 1 for d in dilation) or any(s > k for s, k in zip(stride, kernel))
    y = tf.nn.pool(channels_last(x), list(kernel), kind, strides=[1] * len(kernel) if dense
                   else list(stride), padding="VALID", dilations=list(dilation))
    if dense and any(s > 1 for s in stride):
        y = y[(slice(None), *(slice(None, None, s) for s in stride))]
    return channels_first(y)


def _geometry(dims: int, x: tf.Tensor, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any, ceil_mode: bool) -> tuple:
    """Kernel, stride (torch's default: the kernel), dilation and per-dim (before, after)
    padding of a pool over ``x``'s last ``dims`` dims."""
    kernel = ntuple(kernel_size, dims)
    stride = ntuple(stride, dims) if stride not in (None, (), []) else kernel
    padding, dilation = ntuple(padding, dims), ntuple(dilation, dims)
    pads = [(p, _windows(n, k, s, p, d, ceil_mode)[1]) for n, k, s, p, d in zip(
        x.shape[2:], kernel, stride, padding, dilation)]
    return kernel, stride, dilation, pads


def _max_pool(dims: int, input: tf.Tensor, kernel_size: Any, stride: Any = None,
              padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
              return_indices: bool = False) -> tf.Tensor:
    x, was_unbatched = batched(input, dims)
    kernel, stride, dilation, pads = _geometry(dims, x, kernel_size, stride, padding, dilation,
                                               ceil_mode)
    if return_indices:
        tables = []
        for n, k, s, (p, _), d in zip(x.shape[2:], kernel, stride, pads, dilation):
            out = _windows(n, k, s, p, d, ceil_mode)[0]
            read = np.arange(out)[:, None] * s + np.arange(k)[None, :] * d - p
            tables.append(np.where((read >= 0) & (read < n), read, -1))
        return tuple(unbatched(y, was_unbatched) for y in _max_with_indices(x, tables))
    return unbatched(_pool(x, "MAX", kernel, stride, pads, dilation, -math.inf), was_unbatched)


def _max_with_indices(x: tf.Tensor, tables: list[np.ndarray]) -> tuple[tf.Tensor, tf.Tensor]:
    """Each window's max and torch's index of it (flat over the spatial dims, per channel),
    for windows given per dim as tables (output position, offset) -> input position, -1 for
    padding. The windows are gathered from the flattened input, padding reading a -inf
    slot after it; tf.argmax takes the first maximum, as torch does."""
    dims, spatial = len(tables), x.shape[2:]
    size = math.prod(spatial)
    flat, valid = np.zeros([1] * 2 * dims, np.int64), np.ones([1] * 2 * dims, bool)
    for i, table in enumerate(tables):
        shape = [1] * 2 * dims
        shape[i], shape[dims + i] = table.shape
        part = table.reshape(shape)
        flat, valid = flat + part * math.prod(spatial[i + 1:]), valid & (part >= 0)
    outs = flat.shape[:dims]
    flat = np.where(valid, flat, size).reshape(math.prod(outs), -1)
    rows = tf.pad(tf.reshape(x, [-1, x.shape[1], size]), [[0, 0], [0, 0], [0, 1]],
                  constant_values=-math.inf)
    windows = tf.gather(rows, flat, axis=2)  # (N, C, output positions, window)
    best = tf.argmax(windows, axis=-1)
    indices = tf.gather(flat.reshape(-1), tf.range(flat.shape[0], dtype=tf.int64)
                        * flat.shape[1] + best)
    shape = [-1, x.shape[1], *outs]
    return tf.reshape(tf.reduce_max(windows, axis=-1), shape), tf.reshape(indices, shape)


def _avg_pool(dims: int, input: tf.Tensor, kernel_size: Any, stride: Any = None,
              padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
              divisor_override: int | None = None) -> tf.Tensor:
    """Window sums over a divisor as torch counts it: the window's positions inside the
    input and its padding (count_include_pad) or inside the input only, never the part
    past the padding that ceil_mode adds; the count is a pool over a mask of ones."""
    x, was_unbatched = batched(input, dims)
    kernel, stride, dilation, pads = _geometry(dims, x, kernel_size, stride, padding, 1,
                                               ceil_mode)
    size = math.prod(kernel)
    sums = _pool(x, "AVG", kernel, stride, pads, dilation, 0.0) * size
    if divisor_override:
        return unbatched(sums / divisor_override, was_unbatched)
    spatial = x.shape[2:]
    if count_include_pad:
        inside = [(0, 2 * lo + n) for n, (lo, _) in zip(spatial, pads)]
    else:
        inside = [(lo, lo + n) for n, (lo, _) in zip(spatial, pads)]
    mask = np.zeros([1, 1, *(n + lo + hi for n, (lo, hi) in zip(spatial, pads))], np.float32)
    mask[(0, 0, *(slice(a, b) for a, b in inside))] = 1.0
    counts = _pool(tf.constant(mask, x.dtype), "AVG", kernel, stride, [(0, 0)] * dims,
                   dilation, 0.0) * size
    return unbatched(sums / counts, was_unbatched)


def _lp_pool(dims: int, input: tf.Tensor, norm_type: float, kernel_size: Any,
             stride: Any = None, ceil_mode: bool = False) -> tf.Tensor:
    """torch's formula, step for step (its sign and relu decide the gradient at zero)."""
    if norm_type == math.inf:
        return _max_pool(dims, tf.abs(input), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -_max_pool(dims, -tf.abs(input), kernel_size, stride, 0, 1, ceil_mode)
    out = _avg_pool(dims, tf.pow(input, norm_type), kernel_size, stride, 0, ceil_mode)
    size = math.prod(ntuple(kernel_size, dims))
    return tf.pow(tf.sign(out) * tf.nn.relu(tf.abs(out)) * size, 1.0 / norm_type)


def _bins(n: int, out: int) -> list[tuple[int, int]]:
    """torch's adaptive windows: floor(i * n / out) to ceil((i + 1) * n / out)."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def _adaptive(dims: int, input: tf.Tensor, output_size: Any, reduce: Any) -> tf.Tensor:
    """One dim at a time (a box's mean or max is that of its rows' means or maxes): each
    output position ``reduce``s its window, the windows stacked along the dim."""
    x, was_unbatched = batched(input, dims)
    sizes = ntuple(output_size, dims)
    for axis, out in enumerate(sizes, start=2):
        n = x.shape[axis]
        if out is None or out == n:  # None keeps the input's size, as in torch
            continue
        index = (slice(None),) * axis
        x = tf.stack([reduce(x[index + (slice(a, b),)], axis=axis) for a, b in _bins(n, out)],
                     axis=axis)
    return unbatched(x, was_unbatched)


def _adaptive_max(dims: int, input: tf.Tensor, output_size: Any,
                  return_indices: bool = False) -> tf.Tensor:
    if not return_indices:
        return _adaptive(dims, input, output_size, tf.reduce_max)
    x, was_unbatched = batched(input, dims)
    tables = []
    for n, out in zip(x.shape[2:], ntuple(output_size, dims)):
        bins = _bins(n, n if out is None else out)
        width = max(b - a for a, b in bins)  # shorter windows repeat their last position
        tables.append(np.array([[min(a + i, b - 1) for i in range(width)] for a, b in bins]))
    return tuple(unbatched(y, was_unbatched) for y in _max_with_indices(x, tables))


def _adaptive_avg(dims: int, input: tf.Tensor, output_size: Any) -> tf.Tensor:
    return _adaptive(dims, input, output_size, tf.reduce_mean)


def _functional(dims: int, core: Any, name: str) -> Any:
    def function(*args: Any, **kwargs: Any) -> tf.Tensor:
        return core(dims, *args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``torch.nn.functional.{name}``."
    return do_not_convert(function)


max_pool1d, max_pool2d, max_pool3d = (_functional(n, _max_pool, f"max_pool{n}d") for n in (1, 2, 3))
avg_pool1d, avg_pool2d, avg_pool3d = (_functional(n, _avg_pool, f"avg_pool{n}d") for n in (1, 2, 3))
lp_pool1d, lp_pool2d, lp_pool3d = (_functional(n, _lp_pool, f"lp_pool{n}d") for n in (1, 2, 3))
adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d = (
    _functional(n, _adaptive_avg, f"adaptive_avg_pool{n}d") for n in (1, 2, 3))
adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = (
    _functional(n, _adaptive_max, f"adaptive_max_pool{n}d") for n in (1, 2, 3))


# -- modules -------------------------------------------------------------------------------

class _MaxPool(Module):
    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return _max_pool(self.dims, x, self.kernel_size, self.stride, self.padding,
                         self.dilation, self.ceil_mode, self.return_indices)


class MaxPool1d(_MaxPool):
    pass


class MaxPool2d(_MaxPool):
    dims = 2


class MaxPool3d(_MaxPool):
    dims = 3


class AvgPool1d(Module):
    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return _avg_pool(self.dims, x, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad, self.divisor_override)


class AvgPool2d(AvgPool1d):
    dims = 2


class AvgPool3d(AvgPool1d):
    dims = 3


class LPPool1d(Module):
    dims = 1

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = ceil_mode

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return _lp_pool(self.dims, x, self.norm_type, self.kernel_size, self.stride,
                        self.ceil_mode)


class LPPool2d(LPPool1d):
    dims = 2


class LPPool3d(LPPool1d):
    dims = 3


class AdaptiveAvgPool1d(Module):
    dims = 1

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return _adaptive_avg(self.dims, x, self.output_size)


class AdaptiveAvgPool2d(AdaptiveAvgPool1d):
    dims = 2


class AdaptiveAvgPool3d(AdaptiveAvgPool1d):
    dims = 3


class AdaptiveMaxPool1d(Module):
    dims = 1

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return _adaptive_max(self.dims, x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(AdaptiveMaxPool1d):
    dims = 2


class AdaptiveMaxPool3d(AdaptiveMaxPool1d):
    dims = 3
