"""TensorFlow twins of torch.nn's Embedding and EmbeddingBag and their functional forms, with
torch's max_norm (rows renormalised in place), scale_grad_by_freq and padding_idx. Re-exported
by ``lib_layers`` into the twin runtime (``explorer.twin.lib``); its Embedding replaces the
base runtime's, which had none of those options.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, do_not_convert

__all__ = ["Embedding", "EmbeddingBag", "embedding", "embedding_bag"]


def _renorm(weight: Any, flat: tf.Tensor, max_norm: float, norm_type: float) -> Any:
    """torch's embedding_renorm_: each row looked up whose norm passes ``max_norm`` is scaled
    to it, in place (a tf.Variable is assigned, so the lookup reads the new rows and the
    gradient reaches the weight unscaled, as in torch)."""
    norms = tf.norm(weight, ord=norm_type, axis=1, keepdims=True)
    rows = tf.shape(weight)[0]
    touched = tf.math.bincount(tf.cast(flat, tf.int32), minlength=rows, maxlength=rows) > 0
    scale = tf.where(touched[:, None] & (norms > max_norm), max_norm / (norms + 1e-7), 1.0)
    renormed = tf.stop_gradient(weight * scale)
    if isinstance(weight, tf.Variable):
        weight.assign(renormed)
        return weight
    return weight + (renormed - tf.stop_gradient(weight))  # the new values, weight's gradient


def _lookup(weight: Any, indices: tf.Tensor, by_frequency: bool) -> tf.Tensor:
    """Rows of ``weight``; with ``by_frequency`` each row's gradient divided by how often
    this call looked it up (torch's scale_grad_by_freq)."""
    if not by_frequency:
        return tf.gather(weight, indices)
    flat = tf.reshape(indices, [-1])
    counts = tf.math.bincount(tf.cast(flat, tf.int32), minlength=tf.shape(weight)[0],
                              dtype=weight.dtype)

    @tf.custom_gradient
    def gather(table: tf.Tensor) -> Any:
        def grad(dy: tf.Tensor) -> tf.Tensor:
            scaled = dy / tf.gather(counts, indices)[..., None]
            return tf.math.unsorted_segment_sum(tf.reshape(scaled, [-1, tf.shape(table)[1]]),
                                                flat, tf.shape(table)[0])
        return tf.gather(table, indices), grad
    return gather(tf.convert_to_tensor(weight))


@do_not_convert
def embedding(input: tf.Tensor, weight: Any, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> tf.Tensor:
    """``F.embedding``. ``sparse`` only changes torch's gradient layout, not its values."""
    if max_norm is not None:
        weight = _renorm(weight, tf.reshape(input, [-1]), max_norm, norm_type)
    rows = _lookup(weight, input, scale_grad_by_freq)
    if padding_idx is None:
        return rows
    padding_idx %= weight.shape[0]
    padding = tf.expand_dims(tf.equal(input, tf.cast(padding_idx, input.dtype)), -1)
    return tf.where(padding, tf.stop_gradient(rows), rows)  # torch trains no padding row


class Embedding(Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Any = None,
                 _freeze: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            _weight = tf.random.normal((num_embeddings, embedding_dim))
            if padding_idx is not None:  # torch starts the padding row at zeros
                _weight = tf.tensor_scatter_nd_update(_weight, [[padding_idx]],
                                                      tf.zeros((1, embedding_dim)))
        self.weight = tf.Variable(_weight, trainable=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, **kwargs: Any) -> Embedding:
        rows, dim = embeddings.shape
        module = cls(rows, dim, _weight=embeddings, **kwargs)
        module.weight = tf.Variable(embeddings, trainable=not freeze)
        return module

    @do_not_convert
    def forward(self, indices: tf.Tensor) -> tf.Tensor:
        return embedding(indices, self.weight, self.padding_idx, self.max_norm,
                         self.norm_type, self.scale_grad_by_freq, self.sparse)


def _bags(input: tf.Tensor, offsets: Any, include_last_offset: bool) -> tuple:
    """Flat indices, the bag of each, and the number of bags: a 2D input is one bag per row;
    a 1D input is cut at ``offsets``."""
    if input.shape.rank == 2:
        bags = tf.shape(input)[0]
        ids = tf.repeat(tf.range(bags), tf.shape(input)[1])
        return tf.reshape(input, [-1]), ids, bags
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    offsets = tf.cast(offsets, tf.int32)
    if include_last_offset:
        offsets = offsets[:-1]
    bags = tf.shape(offsets)[0]
    # a 1 where a later bag begins; one slot more for bags that begin at the very end
    starts = tf.math.unsorted_segment_sum(tf.ones_like(offsets[1:]), offsets[1:],
                                          tf.shape(input)[0] + 1)
    return input, tf.cumsum(starts)[:-1], bags


@do_not_convert
def embedding_bag(input: tf.Tensor, weight: Any, offsets: Any = None,
                  max_norm: float | None = None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Any = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tf.Tensor:
    """``F.embedding_bag``: the rows of each bag reduced by sum, mean or max; padding rows
    take no part (nor count in a mean); an empty bag gives zeros."""
    if scale_grad_by_freq and mode == "max":
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum'")
    flat, ids, bags = _bags(input, offsets, include_last_offset)
    if max_norm is not None:
        weight = _renorm(weight, flat, max_norm, norm_type)
    rows = _lookup(weight, flat, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * tf.reshape(per_sample_weights, [-1, 1])
    if padding_idx is not None:
        padding_idx %= weight.shape[0]
        ids = tf.where(tf.equal(flat, tf.cast(padding_idx, flat.dtype)), -1, ids)  # dropped
    if mode == "max":
        found = tf.math.unsorted_segment_max(rows, ids, bags)
        counts = tf.math.unsorted_segment_sum(tf.ones_like(ids), ids, bags)
        return tf.where(counts[:, None] > 0, found, tf.zeros_like(found))
    total = tf.math.unsorted_segment_sum(rows, ids, bags)
    if mode == "sum":
        return total
    counts = tf.math.unsorted_segment_sum(tf.ones_like(ids, rows.dtype), ids, bags)
    return total / tf.maximum(counts, 1)[:, None]


class EmbeddingBag(Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Any = None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device: Any = None, dtype: Any = None) -> None:
        super().__init__(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                         scale_grad_by_freq, sparse, _weight)
        self.mode, self.include_last_offset = mode, include_last_offset

    @do_not_convert
    def forward(self, input: tf.Tensor, offsets: Any = None,
                per_sample_weights: Any = None) -> tf.Tensor:
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)
