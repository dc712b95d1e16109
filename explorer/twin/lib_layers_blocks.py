"""TensorFlow twins of torch.nn's Flatten/Unflatten, the dropout family (Dropout1d/2d/3d,
AlphaDropout, FeatureAlphaDropout), Bilinear and LazyLinear: torch's names and layouts, so the
torch run's values copy over by path. Re-exported by ``lib_layers`` into the twin runtime
(``explorer.twin.lib``).
"""
from __future__ import annotations

import math
from typing import Any

import tensorflow as tf

from explorer.twin.lib import _CHECK, Linear, Module, _uniform, do_not_convert, linear

__all__ = ["Flatten", "Unflatten", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout", "Bilinear", "LazyLinear", "dropout1d", "dropout2d",
           "dropout3d", "alpha_dropout", "feature_alpha_dropout", "bilinear"]


# -- flatten -------------------------------------------------------------------------------

class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        rank = x.shape.rank
        start, end = self.start_dim % max(rank, 1), self.end_dim % max(rank, 1)
        shape = tf.shape(x)
        size = tf.reduce_prod(shape[start:end + 1], keepdims=True)  # not -1: a 0-size dim
        return tf.reshape(x, tf.concat([shape[:start], size, shape[end + 1:]], 0))


class Unflatten(Module):
    def __init__(self, dim: int | str, unflattened_size: Any) -> None:
        super().__init__()
        if isinstance(dim, str):
            raise NotImplementedError("nn.Unflatten of a named dimension has no twin: "
                                      "TensorFlow tensors have no dimension names")
        self.dim, self.unflattened_size = dim, tuple(int(s) for s in unflattened_size)

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        dim = self.dim % x.shape.rank
        shape = tf.shape(x)
        return tf.reshape(x, tf.concat([shape[:dim], self.unflattened_size, shape[dim + 1:]], 0))


# -- the dropout family: identity inside the equivalence check, like lib.dropout -----------

def _keep(x: tf.Tensor, p: float, training: bool) -> bool:
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return not training or p == 0 or _CHECK["identity_dropout"]


def _feature_shape(x: tf.Tensor, batched_rank: int | None) -> tf.Tensor:
    """One draw per (sample, channel), as torch's feature_dropout; an unbatched input (one
    rank short of ``batched_rank``) is one sample, its channels first."""
    rank, shape = x.shape.rank, tf.shape(x)
    lead = 1 if batched_rank is not None and rank == batched_rank - 1 else 2
    return tf.concat([shape[:lead], tf.ones([rank - lead], tf.int32)], 0)


def _feature_dropout(x: tf.Tensor, p: float, training: bool, batched_rank: int | None,
                     ) -> tf.Tensor:
    if _keep(x, p, training):
        return x
    return tf.nn.dropout(x, rate=p, noise_shape=_feature_shape(x, batched_rank))


@do_not_convert
def dropout1d(input: tf.Tensor, p: float = 0.5, training: bool = True) -> tf.Tensor:
    return _feature_dropout(input, p, training, 3)


@do_not_convert
def dropout2d(input: tf.Tensor, p: float = 0.5, training: bool = True) -> tf.Tensor:
    # torch takes a 3D input to dropout2d as (N, C, L), not as one unbatched sample
    return _feature_dropout(input, p, training, None)


@do_not_convert
def dropout3d(input: tf.Tensor, p: float = 0.5, training: bool = True) -> tf.Tensor:
    return _feature_dropout(input, p, training, 5)


SELU_ALPHA = 1.7580993408473766  # SELU's scale * alpha: where alpha dropout parks a unit


def _alpha(x: tf.Tensor, p: float, training: bool, noise_shape: Any) -> tf.Tensor:
    """torch's alpha dropout: dropped units set to SELU's negative saturation, then an affine
    map ``a * x + b`` keeps the mean and variance of a standard normal input."""
    if _keep(x, p, training):
        return x
    keep = tf.cast(tf.random.uniform(noise_shape) >= p, x.dtype)
    a = 1 / math.sqrt((SELU_ALPHA ** 2 * p + 1) * (1 - p))
    return x * keep * a + (keep - 1) * SELU_ALPHA * a + SELU_ALPHA * a * p


@do_not_convert
def alpha_dropout(input: tf.Tensor, p: float = 0.5, training: bool = False) -> tf.Tensor:
    return _alpha(input, p, training, tf.shape(input))


@do_not_convert
def feature_alpha_dropout(input: tf.Tensor, p: float = 0.5,
                          training: bool = False) -> tf.Tensor:
    return _alpha(input, p, training, _feature_shape(input, None))


class _Dropout(Module):
    function = staticmethod(dropout2d)

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = p

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return self.function(x, self.p, self.training)


class Dropout1d(_Dropout):
    function = staticmethod(dropout1d)


class Dropout2d(_Dropout):
    function = staticmethod(dropout2d)


class Dropout3d(_Dropout):
    function = staticmethod(dropout3d)


class AlphaDropout(_Dropout):
    function = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_Dropout):
    function = staticmethod(feature_alpha_dropout)


# -- linear forms --------------------------------------------------------------------------

@do_not_convert
def bilinear(input1: tf.Tensor, input2: tf.Tensor, weight: Any, bias: Any = None) -> tf.Tensor:
    """``F.bilinear``: ``y[..., o] = x1 @ weight[o] @ x2 + bias[o]``, weight (out, in1, in2)."""
    y = tf.einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


class Bilinear(Module):
    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        # torch bounds both by 1/sqrt(in1_features)
        self.weight = _uniform((out_features, in1_features, in2_features), in1_features)
        self.bias = _uniform((out_features,), in1_features) if bias else None

    @do_not_convert
    def forward(self, input1: tf.Tensor, input2: tf.Tensor) -> tf.Tensor:
        return bilinear(input1, input2, self.weight, self.bias)


class LazyLinear(Linear):
    """``weight`` and ``bias`` are None until the torch run's values are set at their paths,
    or until a first call gives ``in_features`` (module-level code that runs the layer once,
    as torch's lazy initialisation does)."""

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self.in_features, self.out_features, self.has_bias = 0, out_features, bias
        self.weight = self.bias = None

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        if self.weight is None:
            self.in_features = x.shape[-1]
            self.weight = _uniform((self.out_features, self.in_features), self.in_features)
            if self.has_bias:
                self.bias = _uniform((self.out_features,), self.in_features)
        return linear(x, self.weight, self.bias)
