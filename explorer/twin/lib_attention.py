"""TensorFlow twins of torch.nn's attention: F.scaled_dot_product_attention,
F.multi_head_attention_forward and MultiheadAttention, with torch's parameter names and layouts
(``in_proj_weight`` packs q, k, v as rows), so the torch run's values copy over by path. The
Transformer modules built on them live in ``lib_attention_transformer``. Part of the twin
runtime (``explorer.twin.lib``)."""
from __future__ import annotations

import math
from typing import Any

import tensorflow as tf

from explorer.twin.lib import Linear, Module, _uniform, do_not_convert, dropout

__all__ = ["MultiheadAttention", "generate_square_subsequent_mask",
           "multi_head_attention_forward", "scaled_dot_product_attention"]


def _additive(mask: tf.Tensor | None, dtype: tf.DType, true_means: str = "masked",
              ) -> tf.Tensor | None:
    """A mask as the bias torch adds to the scores: a float mask as it is; a bool mask as
    -inf where it excludes (True in nn.MultiheadAttention, False in F.scaled_dot_product_
    attention), as torch's _canonical_mask does."""
    if mask is None or mask.dtype != tf.bool:
        return mask
    excluded = mask if true_means == "masked" else tf.logical_not(mask)
    return tf.where(excluded, tf.constant(-math.inf, dtype), tf.constant(0.0, dtype))


def _causal(length: int, source: int, dtype: tf.DType) -> tf.Tensor:
    """Row i attends to columns 0..i (top-left aligned, as torch's is_causal): 0 or -inf."""
    allowed = tf.linalg.band_part(tf.ones((length, source), tf.bool), -1, 0)
    return _additive(allowed, dtype, true_means="kept")


def _safe_softmax(scores: tf.Tensor) -> tf.Tensor:
    """Softmax over the last axis where a row masked everywhere (all -inf) weighs nothing:
    torch's scaled_dot_product_attention gives such a query 0, not NaN (its _safe_softmax).
    The row's scores become 0 first, so no NaN reaches the gradient either."""
    empty = tf.reduce_all(tf.equal(scores, -math.inf), axis=-1, keepdims=True)
    weights = tf.nn.softmax(tf.where(empty, tf.zeros_like(scores), scores), axis=-1)
    return tf.where(empty, tf.zeros_like(weights), weights)


@do_not_convert
def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> tf.Tensor:
    """``nn.Transformer.generate_square_subsequent_mask``: -inf above the diagonal, 0 below."""
    return _causal(sz, sz, dtype or tf.float32)


@do_not_convert
def scaled_dot_product_attention(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor,
                                 attn_mask: tf.Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> tf.Tensor:
    """softmax(q k^T * scale + mask) v over the last two axes, as torch's reference math; a
    bool mask keeps where True (the opposite of nn.MultiheadAttention's)."""
    length, source = query.shape[-2], key.shape[-2]
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: attn_mask and is_causal cannot both "
                           "be given")
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]  # each key/value head serves this many
        key, value = tf.repeat(key, groups, axis=-3), tf.repeat(value, groups, axis=-3)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = tf.matmul(query, key, transpose_b=True) * scale
    bias = _causal(length, source, query.dtype) if is_causal \
        else _additive(attn_mask, query.dtype, true_means="kept")
    if bias is not None:  # only a mask can empty a row
        weights = _safe_softmax(scores + bias)
    else:
        weights = tf.nn.softmax(scores, axis=-1)
    weights = dropout(weights, dropout_p, True)
    return tf.matmul(weights, value)


def _heads(x: tf.Tensor, batch_heads: int, head_dim: int) -> tf.Tensor:
    """(S, N, E) -> (N * H, S, D), torch's ``view(S, N * H, D).transpose(0, 1)``."""
    return tf.transpose(tf.reshape(x, (x.shape[0], batch_heads, head_dim)), (1, 0, 2))


def _pad_column(mask: tf.Tensor | None) -> tf.Tensor | None:
    """One more source position (bias_k or the zero attention), never masked."""
    return None if mask is None else tf.pad(mask, [[0, 0]] * (mask.shape.rank - 1) + [[0, 1]])


def _linear(x: tf.Tensor, weight: Any, bias: Any) -> tf.Tensor:
    """``x @ weight.T + bias`` as one broadcasting MatMul: fewer ops than a tensordot (its
    reshapes and transpose), so the twin's graph and its gradient trace faster."""
    y = tf.matmul(x, weight, transpose_b=True)
    return y if bias is None else y + bias


def _projections(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor, embed_dim: int,
                 in_proj_weight: Any, in_proj_bias: Any, separate: tuple | None,
                 ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """q, k, v: rows 0:E, E:2E, 2E:3E of the packed weight (one product where the inputs are
    one tensor, as torch's _in_projection_packed), or the three separate weights."""
    if separate is None and query is key and key is value:
        return tuple(tf.split(_linear(query, in_proj_weight, in_proj_bias), 3, axis=-1))
    weights = separate if separate else tuple(
        in_proj_weight[i * embed_dim:(i + 1) * embed_dim] for i in range(3))
    biases = (None,) * 3 if in_proj_bias is None else tuple(
        in_proj_bias[i * embed_dim:(i + 1) * embed_dim] for i in range(3))
    return tuple(_linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


@do_not_convert
def multi_head_attention_forward(
        query: tf.Tensor, key: tf.Tensor, value: tf.Tensor, embed_dim_to_check: int,
        num_heads: int, in_proj_weight: Any, in_proj_bias: Any, bias_k: Any, bias_v: Any,
        add_zero_attn: bool, dropout_p: float, out_proj_weight: Any, out_proj_bias: Any,
        training: bool = True, key_padding_mask: tf.Tensor | None = None,
        need_weights: bool = True, attn_mask: tf.Tensor | None = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Any = None,
        k_proj_weight: Any = None, v_proj_weight: Any = None, static_k: Any = None,
        static_v: Any = None, average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[tf.Tensor, tf.Tensor | None]:
    """torch's F.multi_head_attention_forward, step for step: inputs (L, N, E) or unbatched
    (L, E); returns (output, weights averaged over heads or per head, or None)."""
    batched = query.shape.rank == 3
    if not batched:  # torch runs unbatched inputs as a batch of one, then squeezes it
        query, key, value = (tf.expand_dims(x, 1) for x in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = tf.expand_dims(key_padding_mask, 0)
    length, batch, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"was expecting embedding dimension of {embed_dim_to_check}, "
                         f"but got {embed_dim}")
    head_dim = embed_dim // num_heads
    key_padding_mask = _additive(key_padding_mask, query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = _causal(length, key.shape[0], query.dtype)  # torch trusts the hint
    else:
        attn_mask = _additive(attn_mask, query.dtype)
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight \
        else None
    q, k, v = _projections(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate)
    if attn_mask is not None and attn_mask.shape.rank == 2:
        attn_mask = tf.expand_dims(attn_mask, 0)
    if bias_k is not None and bias_v is not None:
        k = tf.concat([k, tf.tile(bias_k, (1, batch, 1))], axis=0)
        v = tf.concat([v, tf.tile(bias_v, (1, batch, 1))], axis=0)
        attn_mask, key_padding_mask = _pad_column(attn_mask), _pad_column(key_padding_mask)
    q = _heads(q, batch * num_heads, head_dim)
    k = _heads(k, batch * num_heads, head_dim) if static_k is None else static_k
    v = _heads(v, batch * num_heads, head_dim) if static_v is None else static_v
    if add_zero_attn:
        zeros = tf.zeros((batch * num_heads, 1, head_dim), k.dtype)
        k, v = tf.concat([k, zeros], axis=1), tf.concat([v, zeros], axis=1)
        attn_mask, key_padding_mask = _pad_column(attn_mask), _pad_column(key_padding_mask)
    source = k.shape[1]
    if key_padding_mask is not None:  # (N, S) -> (N * H, 1, S), then merged into attn_mask
        padding = tf.broadcast_to(tf.reshape(key_padding_mask, (batch, 1, 1, source)),
                                  (batch, num_heads, 1, source))
        padding = tf.reshape(padding, (batch * num_heads, 1, source))
        attn_mask = padding if attn_mask is None else attn_mask + padding
    scores = tf.matmul(q * math.sqrt(1.0 / head_dim), k, transpose_b=True)
    if attn_mask is None:
        weights = tf.nn.softmax(scores, axis=-1)
    elif need_weights:  # torch's own softmax here: a row masked everywhere is NaN
        weights = tf.nn.softmax(scores + attn_mask, axis=-1)
    else:  # torch runs scaled_dot_product_attention here: such a row is 0
        weights = _safe_softmax(scores + attn_mask)
    if training and dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = tf.reshape(tf.transpose(tf.matmul(weights, v), (1, 0, 2)), (length, batch, embed_dim))
    out = _linear(out, out_proj_weight, out_proj_bias)
    weights = tf.reshape(weights, (batch, num_heads, length, source)) if need_weights else None
    if weights is not None and average_attn_weights:
        weights = tf.reduce_mean(weights, axis=1)
    if not batched:
        out = tf.squeeze(out, 1)
        weights = None if weights is None else tf.squeeze(weights, 0)
    return out, weights


class MultiheadAttention(Module):
    """torch's layout: ``in_proj_weight`` (3E, E) when q, k, v share E, else ``q_proj_weight``
    (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim); ``out_proj`` a Linear."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.batch_first, self.add_zero_attn = batch_first, add_zero_attn
        self.head_dim = embed_dim // num_heads
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        bound = embed_dim  # xavier_uniform in torch; any init will do, the check copies values
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _uniform((3 * embed_dim, embed_dim), bound)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.in_proj_weight = None
            self.q_proj_weight = _uniform((embed_dim, embed_dim), bound)
            self.k_proj_weight = _uniform((embed_dim, self.kdim), bound)
            self.v_proj_weight = _uniform((embed_dim, self.vdim), bound)
        self.in_proj_bias = tf.Variable(tf.zeros(3 * embed_dim)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.bias_k = _uniform((1, 1, embed_dim), bound) if add_bias_kv else None
        self.bias_v = _uniform((1, 1, embed_dim), bound) if add_bias_kv else None

    @do_not_convert
    def forward(self, query: tf.Tensor, key: tf.Tensor, value: tf.Tensor,
                key_padding_mask: tf.Tensor | None = None, need_weights: bool = True,
                attn_mask: tf.Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[tf.Tensor, tf.Tensor | None]:
        seq_first = not (self.batch_first and query.shape.rank == 3)
        if not seq_first:  # the functional form takes (L, N, E); one transpose per tensor
            moved = {id(x): x for x in (query, key, value)}
            moved = {k: tf.transpose(x, (1, 0, 2)) for k, x in moved.items()}
            query, key, value = (moved[id(x)] for x in (query, key, value))
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        return (out if seq_first else tf.transpose(out, (1, 0, 2))), weights


# The Transformer modules build on the above; last, so their import of this module finds it.
from explorer.twin.lib_attention_transformer import *  # noqa: E402,F403
from explorer.twin.lib_attention_transformer import __all__ as _transformers  # noqa: E402

__all__ += _transformers
