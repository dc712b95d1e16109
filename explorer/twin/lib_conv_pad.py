"""TensorFlow twins of torch.nn's padding (``F.pad``, ``nn.ReflectionPad2d``...) and the layout
helpers the convolution and pooling twins share: torch's layout in, torch's layout out."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from explorer.twin.lib import Module, do_not_convert

__all__ = ["mode_pad", "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d",
           "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d",
           "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
           "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


def ntuple(value: Any, n: int) -> tuple:
    """torch's ``_ntuple``: an int repeated ``n`` times, a sequence as a tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def batched(x: tf.Tensor, dims: int) -> tuple[tf.Tensor, bool]:
    """An unbatched input (C, *spatial), which torch accepts, gets a batch of one."""
    if x.shape.rank == dims + 1:
        return tf.expand_dims(x, 0), True
    return x, False


def unbatched(y: tf.Tensor, was_unbatched: bool) -> tf.Tensor:
    return tf.squeeze(y, 0) if was_unbatched else y


def channels_last(x: tf.Tensor) -> tf.Tensor:
    """NC... -> N...C: TF's CPU convolution and pooling kernels take channels last."""
    rank = x.shape.rank
    return tf.transpose(x, [0, *range(2, rank), 1])


def channels_first(x: tf.Tensor) -> tf.Tensor:
    """N...C -> NC..., back to torch's layout."""
    rank = x.shape.rank
    return tf.transpose(x, [0, rank - 1, *range(1, rank - 1)])


# Where each output position of a padded axis of ``n`` reads from: positions ``-lo`` to
# ``n + hi`` mapped into the input, as torch's non-constant modes do.
INDEX: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "reflect": lambda i, n: (n - 1) - np.abs((n - 1) - np.abs(i)),
    "replicate": lambda i, n: np.clip(i, 0, n - 1),
    "circular": lambda i, n: np.mod(i, n),
}


def _pairs(pad: Sequence[int], rank: int) -> list[tuple[int, int]]:
    """torch's flat pad list (last dim first: left, right, then the one before...) as one
    (before, after) pair per dim of a tensor of ``rank``."""
    pad = [int(p) for p in pad]
    pairs = [(0, 0)] * rank
    for i in range(len(pad) // 2):
        pairs[rank - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return pairs


def _constant(x: tf.Tensor, pairs: list[tuple[int, int]], value: float) -> tf.Tensor:
    """tf.pad for the positive amounts; a negative amount crops, as in torch."""
    begin = [max(-lo, 0) for lo, _ in pairs]
    size = [n - max(-lo, 0) - max(-hi, 0) for n, (lo, hi) in zip(x.shape, pairs)]
    if any(lo < 0 or hi < 0 for lo, hi in pairs):
        x = tf.slice(x, begin, size)
    return tf.pad(x, [[max(lo, 0), max(hi, 0)] for lo, hi in pairs], constant_values=value)


@do_not_convert
def mode_pad(input: tf.Tensor, pad: Sequence[int], mode: str = "constant",
             value: float | None = None) -> tf.Tensor:
    """``torch.nn.functional.pad`` in each of torch's modes: constant (negative amounts
    crop), reflect, replicate and circular. The non-constant modes gather each padded axis
    from a position table (one Gather op per axis, whose gradient adds back into the
    positions read twice)."""
    pairs = _pairs(pad, input.shape.rank)
    if mode == "constant":
        return _constant(input, pairs, 0.0 if value is None else value)
    if mode not in INDEX:
        raise NotImplementedError(f"F.pad has no mode {mode!r}")
    x = input
    for axis, (lo, hi) in enumerate(pairs):
        if lo or hi:
            n = x.shape[axis]
            x = tf.gather(x, INDEX[mode](np.arange(-lo, n + hi), n), axis=axis)
    return x


class _Pad(Module):
    """``nn.<Mode>Pad<N>d``: ``padding`` an int (every side) or torch's flat tuple."""

    mode, dims = "constant", 1

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        self.padding = ntuple(padding, 2 * self.dims)
        self.value = value

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return mode_pad(x, self.padding, self.mode, self.value if self.mode == "constant" else None)


class ZeroPad1d(_Pad):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(ZeroPad1d):
    dims = 2


class ZeroPad3d(ZeroPad1d):
    dims = 3


class ConstantPad1d(_Pad):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(ConstantPad1d):
    dims = 2


class ConstantPad3d(ConstantPad1d):
    dims = 3


class _ModePad(_Pad):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding)


class ReflectionPad1d(_ModePad):
    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    dims = 2


class ReflectionPad3d(ReflectionPad1d):
    dims = 3


class ReplicationPad1d(_ModePad):
    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    dims = 2


class ReplicationPad3d(ReplicationPad1d):
    dims = 3


class CircularPad1d(_ModePad):
    mode = "circular"


class CircularPad2d(CircularPad1d):
    dims = 2


class CircularPad3d(CircularPad1d):
    dims = 3
