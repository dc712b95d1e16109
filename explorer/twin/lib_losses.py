"""TensorFlow twins of torch.nn's losses, as modules and as functions, with torch's exact
semantics: each reduction, class weights (a weighted mean divides by the weights of the
targets that count), ``ignore_index``, label smoothing, class-probability targets and
classes in dim 1 of an (N, C, d1, ...) input. Part of the twin runtime (``explorer.twin.lib``).

The margin, embedding and count losses live in ``lib_losses_margin``, re-exported here.
"""
from __future__ import annotations

import functools
from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, do_not_convert

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "huber_loss",
    "kl_div", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss",
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "L1Loss",
    "MSELoss", "NLLLoss", "SmoothL1Loss",
]

REDUCTIONS = {"mean": tf.reduce_mean, "sum": tf.reduce_sum, "none": tf.identity}
ENUM = {0: "none", 1: "mean", 2: "sum"}  # torch.x forms (ATen's) take the reduction as an int


def reduction_name(reduction: str | int) -> str:
    name = ENUM.get(reduction, reduction) if isinstance(reduction, int) else reduction
    if name not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return name


def reduce(loss: tf.Tensor, reduction: str | int) -> tf.Tensor:
    return REDUCTIONS[reduction_name(reduction)](loss)


def weighted(loss: tf.Tensor, weight: tf.Tensor | None, reduction: str | int) -> tf.Tensor:
    """torch's elementwise ``weight`` (mse_loss, l1_loss): a weighted mean divides by the sum
    of the weights, not by the count."""
    if weight is None:
        return reduce(loss, reduction)
    loss = loss * weight
    if reduction_name(reduction) == "mean":
        return tf.reduce_sum(loss) / tf.reduce_sum(weight)
    return reduce(loss, reduction)


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """torch's deprecated ``size_average``/``reduce`` pair, when given, decides the reduction."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def takes_legacy(function: Any) -> Any:
    """The function, also taking torch's deprecated ``size_average``/``reduce`` keywords, which
    decide the reduction when given (the table passes every argument the call had)."""
    @functools.wraps(function)
    def wrapper(*args: Any, size_average: bool | None = None, reduce: bool | None = None,
                **kwargs: Any) -> tf.Tensor:
        if size_average is not None or reduce is not None:
            kwargs["reduction"] = legacy_reduction(size_average, reduce, "mean")
        return function(*args, **kwargs)
    return wrapper


def classes_last(x: tf.Tensor) -> tf.Tensor:
    """(N, C, d1, ...) -> (N, d1, ..., C): torch keeps classes in dim 1; TF's softmax and
    gathers want them last. (C,) and (N, C) are already so."""
    rank = x.shape.rank
    return x if rank <= 2 else tf.transpose(x, [0, *range(2, rank), 1])


# -- classification -------------------------------------------------------------------------

def _nll(logp: tf.Tensor, target: tf.Tensor, weight: tf.Tensor | None, ignore_index: int,
         reduction: str | int, label_smoothing: float) -> tf.Tensor:
    """The negative log-likelihood of log-probabilities with classes last, torch's way."""
    classes = logp.shape[-1]
    class_weight = tf.ones([classes], logp.dtype) if weight is None else weight
    if target.dtype.is_floating:  # class probabilities, classes in dim 1 like the input
        probs = classes_last(target)
        if label_smoothing:
            probs = probs * (1 - label_smoothing) + label_smoothing / classes
        loss = -tf.reduce_sum(logp * probs * class_weight, axis=-1)
        if reduction_name(reduction) == "mean":  # over the positions, whatever the weights
            return tf.reduce_sum(loss) / tf.cast(tf.size(loss), loss.dtype)
        return reduce(loss, reduction)
    ignored = tf.equal(target, ignore_index)
    safe = tf.where(ignored, tf.zeros_like(target), target)  # an index to gather, then masked
    picked = tf.gather(logp, safe[..., None], batch_dims=target.shape.rank)[..., 0]
    target_weight = tf.where(ignored, tf.zeros([], logp.dtype), tf.gather(class_weight, safe))
    loss = -picked * target_weight
    if label_smoothing:
        smooth = -tf.reduce_sum(logp * class_weight, axis=-1)
        smooth = tf.where(ignored, tf.zeros_like(smooth), smooth)
        loss = (1 - label_smoothing) * loss + label_smoothing / classes * smooth
    if reduction_name(reduction) == "mean":  # by the weight of the targets that count
        return _mean_by(tf.reduce_sum(loss), tf.reduce_sum(target_weight))
    return reduce(loss, reduction)


def _mean_by(total: tf.Tensor, weight_sum: tf.Tensor) -> tf.Tensor:
    """total / weight_sum; where no target counts (all ignored), torch's value is 0/0 = nan
    and its gradient zero (its backward scales only the targets that count)."""
    nothing = tf.equal(weight_sum, 0)
    return tf.where(nothing, tf.stop_gradient(total / weight_sum),
                    tf.math.divide_no_nan(total, weight_sum))


@do_not_convert
@takes_legacy
def cross_entropy(input: tf.Tensor, target: tf.Tensor, reduction: str | int = "mean",
                  weight: tf.Tensor | None = None, ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> tf.Tensor:
    """Class indices (int) or class probabilities (float) as targets."""
    logp = tf.nn.log_softmax(classes_last(input), axis=-1)
    return _nll(logp, target, weight, ignore_index, reduction, label_smoothing)


@do_not_convert
@takes_legacy
def nll_loss(input: tf.Tensor, target: tf.Tensor, reduction: str | int = "mean",
             weight: tf.Tensor | None = None, ignore_index: int = -100) -> tf.Tensor:
    return _nll(classes_last(input), target, weight, ignore_index, reduction, 0.0)


def _log(x: tf.Tensor) -> tf.Tensor:
    """log(x) clamped at -100 as torch's binary_cross_entropy does (so a probability of exactly
    0 costs 100); the log is taken of a safe value there, which keeps its gradient finite."""
    positive = x > 0
    log = tf.math.log(tf.where(positive, x, tf.ones_like(x)))
    return tf.where(positive, tf.maximum(log, -100.0), tf.fill(tf.shape(x), -100.0))


@do_not_convert
@takes_legacy
def binary_cross_entropy(input: tf.Tensor, target: tf.Tensor, weight: tf.Tensor | None = None,
                         reduction: str | int = "mean") -> tf.Tensor:
    loss = -(target * _log(input) + (1 - target) * _log(1 - input))
    return reduce(loss if weight is None else loss * weight, reduction)


@do_not_convert
@takes_legacy
def binary_cross_entropy_with_logits(input: tf.Tensor, target: tf.Tensor,
                                     weight: tf.Tensor | None = None,
                                     reduction: str | int = "mean",
                                     pos_weight: tf.Tensor | None = None) -> tf.Tensor:
    """torch's stable form: (1 - t) x + (1 + (pos_weight - 1) t) log(1 + exp(-x)); pos_weight
    broadcasts along the last dim (the classes)."""
    log_weight = 1.0 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input + log_weight * tf.math.softplus(-input)
    return reduce(loss if weight is None else loss * weight, reduction)


# -- regression -----------------------------------------------------------------------------

@do_not_convert
@takes_legacy
def mse_loss(input: tf.Tensor, target: tf.Tensor, reduction: str | int = "mean",
             weight: tf.Tensor | None = None) -> tf.Tensor:
    return weighted(tf.square(input - target), weight, reduction)


@do_not_convert
@takes_legacy
def l1_loss(input: tf.Tensor, target: tf.Tensor, reduction: str | int = "mean",
            weight: tf.Tensor | None = None) -> tf.Tensor:
    return weighted(tf.abs(input - target), weight, reduction)


@do_not_convert
@takes_legacy
def smooth_l1_loss(input: tf.Tensor, target: tf.Tensor, reduction: str | int = "mean",
                   beta: float = 1.0) -> tf.Tensor:
    """0.5 d^2 / beta below beta, |d| - beta / 2 from it; beta = 0 is the L1 loss."""
    distance = tf.abs(input - target)
    if beta == 0:
        return reduce(distance, reduction)
    return reduce(tf.where(distance < beta, 0.5 * tf.square(distance) / beta,
                           distance - 0.5 * beta), reduction)


@do_not_convert
def huber_loss(input: tf.Tensor, target: tf.Tensor, reduction: str | int = "mean",
               delta: float = 1.0, weight: tf.Tensor | None = None) -> tf.Tensor:
    """0.5 d^2 below delta, delta (|d| - delta / 2) from it; a weighted mean is a plain mean
    of the weighted losses (torch's huber_loss, unlike its mse_loss)."""
    distance = tf.abs(input - target)
    loss = tf.where(distance < delta, 0.5 * tf.square(distance),
                    delta * (distance - 0.5 * delta))
    return reduce(loss if weight is None else loss * weight, reduction)


@do_not_convert
@takes_legacy
def kl_div(input: tf.Tensor, target: tf.Tensor, reduction: str | int = "mean",
           log_target: bool = False) -> tf.Tensor:
    """``input`` holds log-probabilities; 'batchmean' divides the sum by the batch size."""
    if log_target:
        loss = tf.exp(target) * (target - input)
    else:
        loss = tf.math.xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = tf.reduce_sum(loss)
        return total / input.shape[0] if input.shape.rank else total
    return reduce(loss, reduction)


# -- modules --------------------------------------------------------------------------------

class Loss(Module):
    """A loss module: ``function`` called with the module's reduction and options, and its
    tensors (``weight``, ``pos_weight``: torch's buffers, read at call time because the torch
    run's values are bound at their paths)."""

    function: Any = None
    tensors: tuple[str, ...] = ()

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", **options: Any) -> None:
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction)
        self.options = options

    @do_not_convert
    def forward(self, *inputs: tf.Tensor) -> tf.Tensor:
        tensors = {name: getattr(self, name) for name in self.tensors}
        return type(self).function(*inputs, reduction=self.reduction, **tensors, **self.options)


class MSELoss(Loss):
    function = staticmethod(mse_loss)


class L1Loss(Loss):
    function = staticmethod(l1_loss)


class SmoothL1Loss(Loss):
    function = staticmethod(smooth_l1_loss)

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction, beta=beta)


class HuberLoss(Loss):
    function = staticmethod(huber_loss)

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction, delta=delta)


class KLDivLoss(Loss):
    function = staticmethod(kl_div)

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction, log_target=log_target)


class BCELoss(Loss):
    function = staticmethod(binary_cross_entropy)
    tensors = ("weight",)

    def __init__(self, weight: tf.Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight = weight


class BCEWithLogitsLoss(Loss):
    function = staticmethod(binary_cross_entropy_with_logits)
    tensors = ("weight", "pos_weight")

    def __init__(self, weight: tf.Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: tf.Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight, self.pos_weight = weight, pos_weight


class NLLLoss(Loss):
    function = staticmethod(nll_loss)
    tensors = ("weight",)

    def __init__(self, weight: tf.Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction, ignore_index=ignore_index)
        self.weight = weight


class CrossEntropyLoss(Loss):
    function = staticmethod(cross_entropy)
    tensors = ("weight",)

    def __init__(self, weight: tf.Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)
        self.weight = weight


# The margin, embedding and count losses, and the fused linear cross-entropy; last, since
# they build on the above.
from explorer.twin import lib_losses_linear, lib_losses_margin  # noqa: E402
from explorer.twin.lib_losses_linear import *  # noqa: E402,F403
from explorer.twin.lib_losses_margin import *  # noqa: E402,F403

__all__ += lib_losses_margin.__all__ + lib_losses_linear.__all__
