"""TensorFlow twins of torch.nn.utils.rnn: pad_sequence, pack_padded_sequence, pack_sequence,
pad_packed_sequence. Part of the twin runtime (``explorer.twin.lib``).

torch packs sequences of different lengths into one flat tensor of the steps that exist,
sorted by length, so its RNN kernels skip the padding. A static graph keeps shapes rectangular
instead: the twin's PackedSequence is the padded batch, time first, with its lengths, and the
recurrent modules mask the steps past each sequence's end (its state carries over unchanged,
its output is zero), which gives torch's outputs and final states in the batch's own order.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import tensorflow as tf

from explorer.twin.lib import do_not_convert

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence"]


class PackedSequence(NamedTuple):
    """The padded batch ``(T, B, *)``, time first, and each sequence's length ``(B,)``."""

    padded: tf.Tensor
    lengths: tf.Tensor

    @property
    def data(self) -> tf.Tensor:
        raise NotImplementedError(
            "The twin keeps a PackedSequence padded (a static graph keeps shapes "
            "rectangular), so it has no flat .data of the packed steps; use "
            "pad_packed_sequence() to read the outputs.")


def _lengths(lengths: Any) -> tf.Tensor:
    return tf.cast(tf.convert_to_tensor(lengths), tf.int32)


def step_mask(lengths: tf.Tensor, steps: Any) -> tf.Tensor:
    """``(T, B)``: True where step t exists in sequence b."""
    return tf.transpose(tf.sequence_mask(lengths, steps))


@do_not_convert
def pack_padded_sequence(input: tf.Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """torch checks the order of ``lengths`` when ``enforce_sorted``; the twin needs none."""
    if batch_first:
        input = tf.transpose(input, [1, 0, *range(2, input.shape.rank)])  # time first
    return PackedSequence(input, _lengths(lengths))


@do_not_convert
def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> tf.Tensor:
    """A list of ``(L_i, *)`` tensors as one ``(T, B, *)`` (or ``(B, T, *)``) tensor."""
    steps = max(s.shape[0] for s in sequences)
    rest = sequences[0].shape.rank - 1
    padded = []
    for s in sequences:
        gap = [0, steps - s.shape[0]] if padding_side == "right" else [steps - s.shape[0], 0]
        padded.append(tf.pad(s, [gap] + [[0, 0]] * rest, constant_values=padding_value))
    return tf.stack(padded, axis=0 if batch_first else 1)


@do_not_convert
def pack_sequence(sequences: Any, enforce_sorted: bool = True) -> PackedSequence:
    return PackedSequence(pad_sequence(sequences), _lengths([s.shape[0] for s in sequences]))


@do_not_convert
def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None,
                        ) -> tuple[tf.Tensor, tf.Tensor]:
    """The padded batch, as long as its longest sequence (or ``total_length``), and the
    lengths as int64, as torch returns them."""
    data, lengths = sequence
    steps = tf.reduce_max(lengths) if total_length is None else total_length
    data = data[:steps]
    data = tf.pad(data, [[0, steps - tf.shape(data)[0]]] + [[0, 0]] * (data.shape.rank - 1))
    mask = step_mask(lengths, tf.shape(data)[0])
    mask = tf.reshape(mask, tf.concat([tf.shape(mask), [1] * (data.shape.rank - 2)], 0))
    data = tf.where(mask, data, tf.cast(padding_value, data.dtype))
    if batch_first:
        data = tf.transpose(data, [1, 0, *range(2, data.shape.rank)])
    return data, tf.cast(lengths, tf.int64)
