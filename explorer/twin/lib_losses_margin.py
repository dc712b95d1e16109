"""TensorFlow twins of torch.nn's margin, embedding and count losses (and CTC), with torch's
formulas, so outputs and gradients match: where torch clamps with ``clamp_min`` the twin uses
tf.maximum (its gradient passes at exactly 0, as clamp_min's does), where a C++ kernel of
torch's adds a term only when it is positive the twin uses relu (no gradient at 0).
Re-exported by ``explorer.twin.lib_losses``."""
from __future__ import annotations

import math

import tensorflow as tf

from explorer.twin.lib import do_not_convert
from explorer.twin.lib_losses import Loss, reduce, reduction_name, takes_legacy

__all__ = [
    "cosine_embedding_loss", "ctc_loss", "gaussian_nll_loss", "hinge_embedding_loss",
    "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss",
    "CTCLoss", "CosineEmbeddingLoss", "GaussianNLLLoss", "HingeEmbeddingLoss",
    "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
    "PoissonNLLLoss", "SoftMarginLoss", "TripletMarginLoss",
]


def _where(condition: tf.Tensor, x: tf.Tensor, y: float | tf.Tensor) -> tf.Tensor:
    return tf.where(condition, x, tf.zeros_like(x) + y)


# -- pairs and embeddings -------------------------------------------------------------------

@do_not_convert
@takes_legacy
def margin_ranking_loss(input1: tf.Tensor, input2: tf.Tensor, target: tf.Tensor,
                        margin: float = 0.0, reduction: str | int = "mean") -> tf.Tensor:
    target = tf.cast(target, input1.dtype)  # torch takes an int target of 1s and -1s too
    return reduce(tf.maximum(-target * (input1 - input2) + margin, 0.0), reduction)


@do_not_convert
@takes_legacy
def hinge_embedding_loss(input: tf.Tensor, target: tf.Tensor, margin: float = 1.0,
                         reduction: str | int = "mean") -> tf.Tensor:
    """x where the target is not -1, max(0, margin - x) where it is not 1 (both elsewhere)."""
    below = _where(tf.not_equal(target, 1), tf.maximum(margin - input, 0.0), 0.0)
    return reduce(below + _where(tf.not_equal(target, -1), input, 0.0), reduction)


@do_not_convert
@takes_legacy
def cosine_embedding_loss(input1: tf.Tensor, input2: tf.Tensor, target: tf.Tensor,
                          margin: float = 0.0, reduction: str | int = "mean") -> tf.Tensor:
    """torch's cosine: 1e-12 added to each squared magnitude before the square root."""
    product = tf.reduce_sum(input1 * input2, axis=-1)
    magnitudes = (tf.reduce_sum(tf.square(input1), axis=-1) + 1e-12) \
        * (tf.reduce_sum(tf.square(input2), axis=-1) + 1e-12)
    cos = product / tf.sqrt(magnitudes)
    loss = _where(tf.equal(target, 1), 1 - cos, 0.0) \
        + _where(tf.equal(target, -1), tf.maximum(cos - margin, 0.0), 0.0)
    return reduce(loss, reduction)


def _distance(x1: tf.Tensor, x2: tf.Tensor, p: float, eps: float) -> tf.Tensor:
    """torch.pairwise_distance: the p-norm of x1 - x2 + eps over the last dim."""
    return tf.norm(x1 - x2 + eps, ord=p, axis=-1)


@do_not_convert
@takes_legacy
def triplet_margin_loss(anchor: tf.Tensor, positive: tf.Tensor, negative: tf.Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: str | int = "mean") -> tf.Tensor:
    to_positive = _distance(anchor, positive, p, eps)
    to_negative = _distance(anchor, negative, p, eps)
    if swap:
        to_negative = tf.minimum(to_negative, _distance(positive, negative, p, eps))
    return reduce(tf.maximum(margin + to_positive - to_negative, 0.0), reduction)


@do_not_convert
@takes_legacy
def soft_margin_loss(input: tf.Tensor, target: tf.Tensor,
                     reduction: str | int = "mean") -> tf.Tensor:
    return reduce(tf.math.softplus(-input * tf.cast(target, input.dtype)), reduction)


# -- several classes ------------------------------------------------------------------------

@do_not_convert
@takes_legacy
def multilabel_soft_margin_loss(input: tf.Tensor, target: tf.Tensor,
                                weight: tf.Tensor | None = None,
                                reduction: str | int = "mean") -> tf.Tensor:
    target = tf.cast(target, input.dtype)  # torch takes 0/1 integers too
    loss = -(target * tf.math.log_sigmoid(input) + (1 - target) * tf.math.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return reduce(tf.reduce_mean(loss, axis=-1), reduction)


@do_not_convert
@takes_legacy
def multi_margin_loss(input: tf.Tensor, target: tf.Tensor, p: int = 1, margin: float = 1.0,
                      weight: tf.Tensor | None = None,
                      reduction: str | int = "mean") -> tf.Tensor:
    """sum over the other classes i of max(0, margin - x[y] + x[i])^p, times weight[y], / C."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    classes = input.shape[-1]
    picked = tf.gather(input, target[..., None], batch_dims=target.shape.rank)
    hinge = tf.nn.relu(margin - picked + input)
    hinge = hinge if p == 1 else tf.square(hinge)
    if weight is not None:
        hinge = hinge * tf.gather(weight, target)[..., None]
    others = 1 - tf.one_hot(target, classes, dtype=input.dtype)
    return reduce(tf.reduce_sum(hinge * others, axis=-1) / classes, reduction)


@do_not_convert
@takes_legacy
def multilabel_margin_loss(input: tf.Tensor, target: tf.Tensor,
                           reduction: str | int = "mean") -> tf.Tensor:
    """Targets are class indices up to the first -1; each pair (target j, non-target i) adds
    max(0, 1 - (x[y_j] - x[i])), and the sum is divided by C."""
    classes = input.shape[-1]
    valid = tf.math.cumprod(tf.cast(target >= 0, input.dtype), axis=-1)  # before the first -1
    safe = tf.where(target >= 0, target, tf.zeros_like(target))
    picked = tf.gather(input, safe, batch_dims=target.shape.rank - 1)
    is_target = tf.reduce_max(tf.one_hot(safe, classes, dtype=input.dtype) * valid[..., None],
                              axis=-2)
    hinge = tf.nn.relu(1 - picked[..., :, None] + input[..., None, :])  # [..., j, i]
    pairs = hinge * valid[..., :, None] * (1 - is_target)[..., None, :]
    return reduce(tf.reduce_sum(pairs, axis=[-2, -1]) / classes, reduction)


# -- likelihoods ----------------------------------------------------------------------------

@do_not_convert
def gaussian_nll_loss(input: tf.Tensor, target: tf.Tensor, var: tf.Tensor | float,
                      full: bool = False, eps: float = 1e-6,
                      reduction: str | int = "mean") -> tf.Tensor:
    """0.5 (log var + (x - t)^2 / var); var one dim short of input gets that dim back. torch
    clamps var at eps under no_grad: the clamp is in the value and not in the gradient."""
    if isinstance(var, (int, float)):
        var = tf.fill(tf.shape(input), tf.cast(var, input.dtype))
    if var.shape.rank == input.shape.rank - 1:
        var = var[..., None]
    var = var + tf.stop_gradient(tf.maximum(var, eps) - var)
    loss = 0.5 * (tf.math.log(var) + tf.square(input - target) / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce(loss, reduction)


@do_not_convert
@takes_legacy
def poisson_nll_loss(input: tf.Tensor, target: tf.Tensor, log_input: bool = True,
                     full: bool = False, eps: float = 1e-8,
                     reduction: str | int = "mean") -> tf.Tensor:
    """``full`` adds Stirling's t log t - t + 0.5 log(2 pi t) where the target is above 1."""
    if log_input:
        loss = tf.exp(input) - target * input
    else:
        loss = input - target * tf.math.log(input + eps)
    if full:
        counts = tf.maximum(target, 1.0)  # a safe log where the term is masked out
        stirling = counts * tf.math.log(counts) - counts + 0.5 * tf.math.log(2 * math.pi * counts)
        loss = loss + _where(target > 1, stirling, 0.0)
    return reduce(loss, reduction)


def _unnormalised(log_probs: tf.Tensor, input_lengths: tf.Tensor) -> tf.Tensor:
    """What torch's CTC adds to TF's for inputs that are not log-probabilities (torch does
    not normalise them, TF does): minus each frame's log-sum-exp, in the value; in the
    gradient exp(x) - softmax(x), since torch's CTC backward returns exp(x) minus the
    alignment posteriors. Both are zero for log-probabilities."""
    frames = tf.transpose(tf.sequence_mask(input_lengths, log_probs.shape[0], log_probs.dtype))
    mass = tf.reduce_sum(tf.exp(log_probs), axis=-1)
    extra = mass - tf.stop_gradient(mass) - tf.reduce_logsumexp(log_probs, axis=-1)
    return tf.reduce_sum(extra * frames, axis=0)


@do_not_convert
def ctc_loss(log_probs: tf.Tensor, targets: tf.Tensor, input_lengths: tf.Tensor,
             target_lengths: tf.Tensor, blank: int = 0, reduction: str | int = "mean",
             zero_infinity: bool = False) -> tf.Tensor:
    """tf.nn.ctc_loss on torch's (T, N, C) log-probabilities. TF normalises its logits with a
    log-softmax, which leaves log-probabilities as they are, and its gradient (softmax minus
    the alignment posteriors) is then the one torch's CTC backward returns; other inputs get
    torch's value and gradient from ``_unnormalised``. Targets padded (N, S) or concatenated
    (sum of the target lengths,); an unbatched (T, C) input has one sequence."""
    unbatched = log_probs.shape.rank == 2
    if unbatched:
        log_probs, targets = log_probs[:, None], targets[None]
        input_lengths = tf.reshape(input_lengths, [1])
        target_lengths = tf.reshape(target_lengths, [1])
    input_lengths = tf.cast(input_lengths, tf.int32)
    target_lengths = tf.cast(target_lengths, tf.int32)
    labels = tf.cast(targets, tf.int32)
    if labels.shape.rank == 1:
        labels = tf.RaggedTensor.from_row_lengths(labels, target_lengths).to_tensor()
    loss = tf.nn.ctc_loss(labels=labels, logits=log_probs, label_length=target_lengths,
                          logit_length=input_lengths, logits_time_major=True,
                          blank_index=blank)
    loss = loss + _unnormalised(log_probs, input_lengths)
    if zero_infinity:
        loss = tf.where(tf.math.is_inf(loss), tf.zeros_like(loss), loss)
    if reduction_name(reduction) == "mean":  # each loss over its target's length, then the mean
        lengths = tf.cast(tf.maximum(target_lengths, 1), loss.dtype)
        return tf.reduce_mean(loss / lengths)
    loss = reduce(loss, reduction)
    return loss[0] if unbatched and reduction_name(reduction) == "none" else loss


# -- modules --------------------------------------------------------------------------------

class MarginRankingLoss(Loss):
    function = staticmethod(margin_ranking_loss)

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction, margin=margin)


class HingeEmbeddingLoss(MarginRankingLoss):
    function = staticmethod(hinge_embedding_loss)

    def __init__(self, margin: float = 1.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(margin, size_average, reduce, reduction)


class CosineEmbeddingLoss(MarginRankingLoss):
    function = staticmethod(cosine_embedding_loss)


class TripletMarginLoss(Loss):
    function = staticmethod(triplet_margin_loss)

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction, margin=margin, p=p, eps=eps,
                         swap=swap)


class SoftMarginLoss(Loss):
    function = staticmethod(soft_margin_loss)


class MultiLabelMarginLoss(Loss):
    function = staticmethod(multilabel_margin_loss)


class MultiLabelSoftMarginLoss(Loss):
    function = staticmethod(multilabel_soft_margin_loss)
    tensors = ("weight",)

    def __init__(self, weight: tf.Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight = weight


class MultiMarginLoss(Loss):
    function = staticmethod(multi_margin_loss)
    tensors = ("weight",)

    def __init__(self, p: int = 1, margin: float = 1.0, weight: tf.Tensor | None = None,
                 size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        super().__init__(size_average, reduce, reduction, p=p, margin=margin)
        self.weight = weight


class GaussianNLLLoss(Loss):
    function = staticmethod(gaussian_nll_loss)

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction, full=full, eps=eps)


class PoissonNLLLoss(Loss):
    function = staticmethod(poisson_nll_loss)

    def __init__(self, log_input: bool = True, full: bool = False,
                 size_average: bool | None = None, eps: float = 1e-8,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction, log_input=log_input, full=full,
                         eps=eps)


class CTCLoss(Loss):
    function = staticmethod(ctc_loss)

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction, blank=blank, zero_infinity=zero_infinity)
