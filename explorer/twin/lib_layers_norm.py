"""TensorFlow versions of torch's normalisation functions (F.batch_norm, F.instance_norm,
F.layer_norm, F.group_norm, F.rms_norm, F.local_response_norm) and the modules with no running
statistics: LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm. torch's parameter names and
layouts, so the torch run's values copy over by path. Re-exported by ``lib_layers``.

Normalisation is elementwise arithmetic and reductions, which TF's CPU kernels run in any
layout, so these helpers reduce over torch's own axes (NC...) and need no transposes.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from explorer.twin.lib import Module, do_not_convert

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm", "batch_norm",
           "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm"]


def _per_channel(param: Any, rank: int) -> Any:
    """A (C,) parameter shaped (1, C, 1, ...) to broadcast over an NC... input."""
    return None if param is None else tf.reshape(param, [1, -1] + [1] * (rank - 2))


def _affine(y: tf.Tensor, weight: Any, bias: Any, rank: int) -> tf.Tensor:
    if weight is not None:
        y = y * _per_channel(weight, rank)
    return y if bias is None else y + _per_channel(bias, rank)


def _moments(x: tf.Tensor, axes: list[int]) -> tuple[tf.Tensor, tf.Tensor]:
    """Mean and biased variance, kept as broadcastable shapes (torch normalises with the
    biased variance)."""
    mean = tf.reduce_mean(x, axis=axes, keepdims=True)
    return mean, tf.reduce_mean(tf.square(x - mean), axis=axes, keepdims=True)


def _count(x: tf.Tensor, axes: list[int]) -> int:
    return int(np.prod([x.shape[a] for a in axes]))


def _update(running: Any, stat: tf.Tensor, momentum: Any) -> None:
    """torch's running average, in place: ``running = (1 - momentum) * running + momentum *
    stat``. Only a tf.Variable can change in place (a module's buffers are), so a plain tensor
    is refused rather than left behind unchanged."""
    if not isinstance(running, tf.Variable):
        raise NotImplementedError(
            "training-mode normalisation updates running_mean/running_var in place; the twin "
            "can update a layer's buffers (tf.Variables) but not a plain tensor. Use an "
            "nn.BatchNorm/InstanceNorm layer, or pass running_mean=None, running_var=None")
    running.assign((1 - momentum) * running + momentum * tf.cast(stat, running.dtype))


@do_not_convert
def batch_norm(input: tf.Tensor, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: Any = 0.1,
               eps: float = 1e-5) -> tf.Tensor:
    """``F.batch_norm``: batch statistics in training (the running ones updated with the
    unbiased variance, as torch does), the running statistics otherwise."""
    rank = input.shape.rank
    axes = [0, *range(2, rank)]
    if training:
        n = _count(input, axes)
        if n == 0:  # an empty batch: torch returns it and leaves the statistics as they are
            return input
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"input size {input.shape.as_list()}")
        mean, var = _moments(input, axes)
        if running_mean is not None:
            _update(running_mean, tf.reshape(mean, [-1]), momentum)
        if running_var is not None:
            _update(running_var, tf.reshape(var, [-1]) * (n / (n - 1)), momentum)
    else:
        mean, var = _per_channel(running_mean, rank), _per_channel(running_var, rank)
    y = (input - mean) * tf.math.rsqrt(var + eps)
    return _affine(y, weight, bias, rank)


@do_not_convert
def instance_norm(input: tf.Tensor, running_mean: Any = None, running_var: Any = None,
                  weight: Any = None, bias: Any = None, use_input_stats: bool = True,
                  momentum: Any = 0.1, eps: float = 1e-5) -> tf.Tensor:
    """``F.instance_norm``: each sample's channels normalised over their own positions. The
    running statistics (when given and ``use_input_stats``) move towards the batch average of
    the per-instance statistics, as torch's batch_norm over (1, N*C, ...) leaves them."""
    rank = input.shape.rank
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = list(range(2, rank))
    n = _count(input, axes)
    if n <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape.as_list()}")
    mean, var = _moments(input, axes)
    if running_mean is not None:
        _update(running_mean, tf.reduce_mean(tf.reshape(mean, tf.shape(mean)[:2]), 0), momentum)
    if running_var is not None:
        unbiased = tf.reshape(var, tf.shape(var)[:2]) * (n / (n - 1))
        _update(running_var, tf.reduce_mean(unbiased, 0), momentum)
    return _affine((input - mean) * tf.math.rsqrt(var + eps), weight, bias, rank)


def _shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(d) for d in normalized_shape)


@do_not_convert
def layer_norm(input: tf.Tensor, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> tf.Tensor:
    """``F.layer_norm``: over the last ``len(normalized_shape)`` dimensions."""
    axes = list(range(-len(_shape(normalized_shape)), 0))
    mean, var = _moments(input, axes)
    y = (input - mean) * tf.math.rsqrt(var + eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


@do_not_convert
def group_norm(input: tf.Tensor, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> tf.Tensor:
    """``F.group_norm``: channels split into ``num_groups`` groups, each normalised over its
    channels and positions together."""
    channels = input.shape[1]
    if channels % num_groups:
        raise ValueError(f"Expected number of channels in input to be divisible by "
                         f"num_groups, but got input of shape {input.shape.as_list()} and "
                         f"num_groups={num_groups}")
    grouped = tf.reshape(input, tf.concat([tf.shape(input)[:1], [num_groups, -1]], 0))
    mean, var = _moments(grouped, [2])
    y = tf.reshape((grouped - mean) * tf.math.rsqrt(var + eps), tf.shape(input))
    return _affine(y, weight, bias, input.shape.rank)


@do_not_convert
def rms_norm(input: tf.Tensor, normalized_shape: Any, weight: Any = None,
             eps: float | None = None) -> tf.Tensor:
    """``F.rms_norm``: ``x / sqrt(mean(x^2) + eps) * weight``; eps None is the dtype's
    machine epsilon, as torch takes it."""
    axes = list(range(-len(_shape(normalized_shape)), 0))
    if eps is None:
        eps = float(np.finfo(input.dtype.as_numpy_dtype).eps)
    y = input * tf.math.rsqrt(tf.reduce_mean(tf.square(input), axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight


@do_not_convert
def local_response_norm(input: tf.Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> tf.Tensor:
    """``F.local_response_norm``: each channel divided by ``(k + alpha * mean of the squares
    of the ``size`` channels around it) ** beta``, the window zero-padded ``size // 2`` before
    and ``(size - 1) // 2`` after, as torch's average pool over channels takes it. Written as
    a sum of shifted slices: tf.nn.local_response_normalization wants channels last, a
    symmetric window, and alpha not divided by the size."""
    if input.shape.rank < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got "
                         f"{input.shape.rank} dimensions)")
    channels = input.shape[1]
    square = tf.square(input)
    pad = [[0, 0], [size // 2, (size - 1) // 2]] + [[0, 0]] * (input.shape.rank - 2)
    padded = tf.pad(square, pad)
    window = tf.add_n([padded[:, i:i + channels] for i in range(size)]) / size
    return input / tf.pow(window * alpha + k, beta)


# -- modules -------------------------------------------------------------------------------

def _ones(n: int) -> tf.Variable:
    return tf.Variable(tf.ones((n,)))


def _zeros(n: int) -> tf.Variable:
    return tf.Variable(tf.zeros((n,)))


class LayerNorm(Module):
    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape, self.eps = _shape(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        shape = self.normalized_shape
        self.weight = tf.Variable(tf.ones(shape)) if elementwise_affine else None
        self.bias = tf.Variable(tf.zeros(shape)) if elementwise_affine and bias else None

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


class GroupNorm(Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.weight = _ones(num_channels) if affine else None
        self.bias = _zeros(num_channels) if affine and bias else None

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


class RMSNorm(Module):
    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape, self.eps = _shape(normalized_shape), eps
        self.weight = tf.Variable(tf.ones(self.normalized_shape)) if elementwise_affine else None

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)


class LocalResponseNorm(Module):
    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)
