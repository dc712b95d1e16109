"""The twin of torch's fused linear layer and cross-entropy (``nn.LinearCrossEntropyLoss``,
``F.linear_cross_entropy``): the logits made whole, then ``cross_entropy``. torch's chunking
``options`` only change how much memory its kernel holds at once, not the values, so the
twin takes them and computes the plain way. Re-exported by ``explorer.twin.lib_losses``."""
from __future__ import annotations

import math
from typing import Any

import tensorflow as tf

from explorer.twin.lib import Linear, do_not_convert, linear
from explorer.twin.lib_losses import Loss, cross_entropy

__all__ = ["linear_cross_entropy", "LinearCrossEntropyLoss"]


@do_not_convert
def linear_cross_entropy(input: tf.Tensor, linear_weight: tf.Tensor, target: tf.Tensor,
                         linear_bias: tf.Tensor | None = None, weight: tf.Tensor | None = None,
                         reduction: str | int = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options: Any = None) -> tf.Tensor:
    """``linear_weight`` is (C, *out_features, in_features): the logits are
    (*batch, C, *out_features), the classes in dim 1 as cross_entropy wants them."""
    logits_shape = [*input.shape[:-1], *linear_weight.shape[:-1]]
    flat_weight = tf.reshape(linear_weight, [-1, linear_weight.shape[-1]])
    flat_bias = None if linear_bias is None else tf.reshape(linear_bias, [-1])
    logits = tf.reshape(linear(input, flat_weight, flat_bias), logits_shape)
    return cross_entropy(logits, target, reduction=reduction, weight=weight,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         label_smoothing=label_smoothing)


class LinearCrossEntropyLoss(Loss):
    """torch's layout: ``linear`` holds the weight flat, (C * prod(out_features), in)."""

    def __init__(self, in_features: int, num_classes: int, *, out_features: tuple = (),
                 bias: bool = False, device: Any = None, dtype: Any = None,
                 reduction: str = "mean", weight: tf.Tensor | None = None,
                 ignore_index: int | None = None, label_smoothing: float = 0.0,
                 options: Any = None) -> None:
        super().__init__(reduction=reduction)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.weight = weight
        self.linear = Linear(in_features, math.prod(self.out_features, start=num_classes),
                             bias=bias)

    @do_not_convert
    def forward(self, input: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        shape = (self.num_classes, *self.out_features)
        linear_weight = tf.reshape(self.linear.weight, (*shape, self.linear.in_features))
        linear_bias = None if self.linear.bias is None else tf.reshape(self.linear.bias, shape)
        return linear_cross_entropy(input, linear_weight, target, linear_bias=linear_bias,
                                    weight=self.weight, reduction=self.reduction,
                                    ignore_index=self.ignore_index,
                                    label_smoothing=self.label_smoothing)
