"""TensorFlow twins of torch.nn's Transformer modules: TransformerEncoderLayer,
TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and Transformer, with torch's
child names (``self_attn``, ``linear1``, ``norm1``, ``layers.0``...), so the torch run's values
copy over by path. Part of the twin runtime (``explorer.twin.lib``, via ``lib_attention``)."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from explorer.twin.lib import Dropout, Linear, Module, ModuleList, do_not_convert
from explorer.twin.lib_attention import MultiheadAttention, _linear, generate_square_subsequent_mask

__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerEncoderLayer"]


def _gelu(x: tf.Tensor) -> tf.Tensor:
    return tf.nn.gelu(x, approximate=False)  # torch's F.gelu default: the exact erf form


ACTIVATIONS: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {"relu": tf.nn.relu, "gelu": _gelu}


def _activation(activation: str | Callable) -> Callable:
    if not isinstance(activation, str):
        return activation  # F.relu, F.gelu, nn.GELU(): already their twins after the rewrite
    if activation not in ACTIVATIONS:
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    return ACTIVATIONS[activation]


class _LayerNorm(Module):
    """The layer norm over the last axis that torch's Transformer layers build (``norm1``...):
    ``weight``, ``bias`` of shape (d_model,), biased variance, as nn.LayerNorm."""

    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.weight = tf.Variable(tf.ones(d_model))
        self.bias = tf.Variable(tf.zeros(d_model)) if bias else None

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        y = (x - mean) * tf.math.rsqrt(variance + self.eps) * self.weight
        return y if self.bias is None else y + self.bias


class _Block(Module):
    """What both layer kinds share: self-attention, the feed-forward block, norms, dropouts."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float,
                 activation: str | Callable, layer_norm_eps: float, batch_first: bool,
                 norm_first: bool, bias: bool, norms: int) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", _LayerNorm(d_model, layer_norm_eps, bias))
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(activation)

    def _sa_block(self, x: tf.Tensor, mask: Any, padding: Any, is_causal: bool) -> tf.Tensor:
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: tf.Tensor, last_dropout: Dropout) -> tf.Tensor:
        # linear1/linear2 by their weights, as one MatMul each (see lib_attention._linear);
        # their ops are theirs (attrs.module), as in torch's graph
        h = self.activation(self.linear1.as_own(
            lambda: _linear(x, self.linear1.weight, self.linear1.bias)))
        h = self.dropout(h)
        return last_dropout(self.linear2.as_own(
            lambda: _linear(h, self.linear2.weight, self.linear2.bias)))


class TransformerEncoderLayer(_Block):
    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, norms=2)

    @do_not_convert
    def forward(self, src: tf.Tensor, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> tf.Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_Block):
    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, norms=3)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first)

    def _mha_block(self, x: tf.Tensor, memory: tf.Tensor, mask: Any, padding: Any,
                   is_causal: bool) -> tf.Tensor:
        x = self.multihead_attn(x, memory, memory, attn_mask=mask, key_padding_mask=padding,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    @do_not_convert
    def forward(self, tgt: tf.Tensor, memory: tf.Tensor, tgt_mask: Any = None,
                memory_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> tf.Tensor:
        x = tgt
        attend = (memory, memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), *attend)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, *attend))
        return self.norm3(x + self._ff_block(x, self.dropout3))


class _Stack(Module):
    """``layers``: num_layers copies of the given layer (torch deep-copies it), then ``norm``."""

    def __init__(self, layer: Module, num_layers: int, norm: Module | None) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def _finish(self, output: tf.Tensor) -> tf.Tensor:
        return output if self.norm is None else self.norm(output)


class TransformerEncoder(_Stack):
    """The twin runs torch's plain path. torch's nested-tensor fast path (eval mode, a padding
    mask, no gradient wanted) gives the same numbers at the positions that are not padding."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__(encoder_layer, num_layers, norm)
        self.enable_nested_tensor = enable_nested_tensor

    @do_not_convert
    def forward(self, src: tf.Tensor, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> tf.Tensor:
        # torch turns is_causal=None into True when the mask equals the causal one; the
        # layers then attend causally, which is what that mask does anyway.
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=bool(is_causal))
        return self._finish(output)


class TransformerDecoder(_Stack):
    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None,
                 ) -> None:
        super().__init__(decoder_layer, num_layers, norm)

    @do_not_convert
    def forward(self, tgt: tf.Tensor, memory: tf.Tensor, tgt_mask: Any = None,
                memory_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> tf.Tensor:
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return self._finish(output)


class Transformer(Module):
    """``encoder`` and ``decoder`` stacks, each ending in a layer norm, as torch builds them."""

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = "relu", custom_encoder: Any = None,
                 custom_decoder: Any = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        shared = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                  batch_first, norm_first, bias)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(*shared), num_encoder_layers,
            _LayerNorm(d_model, layer_norm_eps, bias))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(*shared), num_decoder_layers,
            _LayerNorm(d_model, layer_norm_eps, bias))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    @do_not_convert
    def forward(self, src: tf.Tensor, tgt: tf.Tensor, src_mask: Any = None,
                tgt_mask: Any = None, memory_mask: Any = None,
                src_key_padding_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False,
                ) -> tf.Tensor:
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
