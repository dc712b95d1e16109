"""TensorFlow twins of torch.nn's convolutions (1-3d, transposed, lazy), and through the two
modules it imports, pooling (max, avg, adaptive, LP) and padding: torch's parameter names and
layouts, so the torch run's values copy over by path. Part of the twin runtime
(``explorer.twin.lib``)."""
from __future__ import annotations

import math
from typing import Any

import tensorflow as tf

from explorer.twin import lib_conv_pad, lib_conv_pool
from explorer.twin.lib import Module, _uniform, do_not_convert
from explorer.twin.lib_conv_pad import *  # noqa: F403
from explorer.twin.lib_conv_pad import (
    batched,
    channels_first,
    channels_last,
    mode_pad,
    ntuple,
    unbatched,
)
from explorer.twin.lib_conv_pool import *  # noqa: F403

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
           "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           *lib_conv_pad.__all__, *lib_conv_pool.__all__]

PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
                 "circular": "circular"}


# Channels-last VALID convolutions by spatial rank, each op named explicitly: tf.nn.convolution
# refuses strides with dilations, and its eager Conv3D gradient misses the data format.
CONVOLUTIONS = {
    1: lambda x, k, s, d: tf.nn.conv1d(x, k, list(s), "VALID", "NWC", list(d)),
    2: lambda x, k, s, d: tf.nn.conv2d(x, k, list(s), "VALID", "NHWC", list(d)),
    3: lambda x, k, s, d: tf.nn.conv3d(x, k, [1, *s, 1], "VALID", "NDHWC", [1, *d, 1]),
}


def _conv_pads(padding: Any, kernel: tuple, dilation: tuple) -> list[tuple[int, int]]:
    """(before, after) per spatial dim: torch's "same" puts the odd one after."""
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    return [(p, p) for p in ntuple(padding, len(kernel))]


def _flat(pads: list[tuple[int, int]]) -> list[int]:
    """Per-dim pairs as torch's flat pad list, last dim first."""
    return [p for pair in reversed(pads) for p in pair]


def _convolve(x: tf.Tensor, weight: tf.Tensor, stride: tuple, dilation: tuple,
              groups: int = 1) -> tf.Tensor:
    """A VALID convolution of channels-first ``x`` with torch's (out, in/groups, *k) weight.
    Groups are convolved one by one and concatenated: TF's CPU Conv3D refuses a filter with
    fewer input channels than its input."""
    dims = len(stride)
    kernel = tf.transpose(weight, [*range(2, dims + 2), 1, 0])  # TF's filter: (*k, in, out)
    if groups == 1:
        return channels_first(CONVOLUTIONS[dims](channels_last(x), kernel, stride, dilation))
    pairs = zip(tf.split(channels_last(x), groups, axis=-1), tf.split(kernel, groups, axis=-1))
    parts = [CONVOLUTIONS[dims](xg, kg, stride, dilation) for xg, kg in pairs]
    return channels_first(tf.concat(parts, axis=-1))


def _bias(y: tf.Tensor, bias: tf.Tensor | None) -> tf.Tensor:
    if bias is None:
        return y
    return y + tf.reshape(bias, [1, -1] + [1] * (y.shape.rank - 2))


def _conv(dims: int, input: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None,
          stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
          padding_mode: str = "zeros") -> tf.Tensor:
    x, was_unbatched = batched(input, dims)
    stride, dilation = ntuple(stride, dims), ntuple(dilation, dims)
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"conv{dims}d: {x.shape[1]} input channels, the weight wants "
                         f"{weight.shape[1]} x {groups} groups")
    pads = _conv_pads(padding, tuple(weight.shape[2:]), dilation)
    if any(p for pair in pads for p in pair):
        x = mode_pad(x, _flat(pads), PADDING_MODES[padding_mode])
    y = _convolve(x, weight, stride, dilation, groups)
    return unbatched(_bias(y, bias), was_unbatched)


@do_not_convert
def conv1d(input: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> tf.Tensor:
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


@do_not_convert
def conv2d(input: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> tf.Tensor:
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


@do_not_convert
def conv3d(input: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> tf.Tensor:
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


def _spread(x: tf.Tensor, stride: tuple) -> tf.Tensor:
    """``stride - 1`` zeros between neighbours along each spatial dim of channels-first
    ``x``: the input of the ordinary convolution a transposed one is."""
    for axis, s in enumerate(stride, start=2):
        if s == 1:
            continue
        n = x.shape[axis]
        y = tf.pad(tf.expand_dims(x, axis + 1),
                   [[0, 0]] * (axis + 1) + [[0, s - 1]] + [[0, 0]] * (x.shape.rank - axis - 1))
        shape = [-1, *x.shape[1:axis], n * s, *x.shape[axis + 1:]]
        x = tf.reshape(y, shape)[(slice(None),) * axis + (slice(0, (n - 1) * s + 1),)]
    return x


def _transposed_weight(weight: tf.Tensor, groups: int) -> tf.Tensor:
    """torch's transposed weight (in, out/groups, *k) as the (out, in/groups, *k) weight of
    the equivalent ordinary convolution: in and out swapped per group, the kernel flipped."""
    cin, cout_g, *kernel = weight.shape
    w = tf.reshape(weight, [groups, cin // groups, cout_g, *kernel])
    w = tf.transpose(w, [0, 2, 1, *range(3, 3 + len(kernel))])
    w = tf.reshape(w, [groups * cout_g, cin // groups, *kernel])
    return tf.reverse(w, axis=list(range(2, 2 + len(kernel))))


def _conv_transpose(dims: int, input: tf.Tensor, weight: tf.Tensor,
                    bias: tf.Tensor | None = None, stride: Any = 1, padding: Any = 0,
                    output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> tf.Tensor:
    """A transposed convolution as the ordinary one it is the gradient of: zeros spread
    between the inputs, ``d * (k - 1) - p`` around them (a negative amount crops) and the
    output padding after, a flipped kernel, stride 1."""
    x, was_unbatched = batched(input, dims)
    stride, padding = ntuple(stride, dims), ntuple(padding, dims)
    output_padding, dilation = ntuple(output_padding, dims), ntuple(dilation, dims)
    kernel = weight.shape[2:]
    pads = [(d * (k - 1) - p, d * (k - 1) - p + o)
            for k, d, p, o in zip(kernel, dilation, padding, output_padding)]
    x = mode_pad(_spread(x, stride), _flat(pads))
    y = _convolve(x, _transposed_weight(weight, groups), (1,) * dims, dilation, groups)
    return unbatched(_bias(y, bias), was_unbatched)


@do_not_convert
def conv_transpose1d(input: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> tf.Tensor:
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


@do_not_convert
def conv_transpose2d(input: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> tf.Tensor:
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


@do_not_convert
def conv_transpose3d(input: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> tf.Tensor:
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


# -- modules -------------------------------------------------------------------------------

class _ConvNd(Module):
    """torch's ``_ConvNd``: its attributes, ``weight`` (out, in/groups, *k) and ``bias``."""

    dims, transposed = 1, False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode {padding_mode!r} is not one of torch's")
        if self.transposed and padding_mode != "zeros":
            raise ValueError("Only 'zeros' padding mode is supported for transposed convolutions")
        n = self.dims
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = ntuple(kernel_size, n), ntuple(stride, n)
        self.padding = padding if isinstance(padding, str) else ntuple(padding, n)
        self.dilation, self.output_padding = ntuple(dilation, n), (0,) * n
        self.padding_mode, self.has_bias = padding_mode, bias
        self.weight = self.bias = None
        if in_channels:  # a lazy module learns it from its first input
            self._make_parameters()

    def _make_parameters(self) -> None:
        """torch's default initialisation (kaiming_uniform with a = sqrt(5) is a uniform
        bound of 1/sqrt(fan_in), as for the bias)."""
        cin, cout, g = self.in_channels, self.out_channels, self.groups
        shape = (cin, cout // g) if self.transposed else (cout, cin // g)
        fan_in = shape[1] * math.prod(self.kernel_size)
        self.weight = _uniform((*shape, *self.kernel_size), fan_in)
        self.bias = _uniform((cout,), fan_in) if self.has_bias else None

    def _lazy_init(self, x: tf.Tensor) -> None:
        if self.weight is None:  # a lazy module before the torch run's values
            self.in_channels = x.shape[0 if x.shape.rank == self.dims + 1 else 1]
            self._make_parameters()


class _Conv(_ConvNd):
    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        self._lazy_init(x)
        return _conv(self.dims, x, self.weight, self.bias, self.stride, self.padding,
                     self.dilation, self.groups, self.padding_mode)


class Conv1d(_Conv):
    pass


class Conv2d(_Conv):
    dims = 2


class Conv3d(_Conv):
    dims = 3


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode)
        self.output_padding = ntuple(output_padding, self.dims)

    def _output_padding(self, x: tf.Tensor, output_size: Any) -> tuple:
        """torch's ``output_size=``: the output padding that makes the output that size."""
        if output_size is None:
            return self.output_padding
        wanted = list(output_size)[-self.dims:]
        smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            x.shape[-self.dims:], self.stride, self.padding, self.dilation, self.kernel_size)]
        return tuple(int(w) - m for w, m in zip(wanted, smallest))

    @do_not_convert
    def forward(self, x: tf.Tensor, output_size: Any = None) -> tf.Tensor:
        self._lazy_init(x)
        return _conv_transpose(self.dims, x, self.weight, self.bias, self.stride, self.padding,
                               self._output_padding(x, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    pass


class ConvTranspose2d(_ConvTranspose):
    dims = 2


class ConvTranspose3d(_ConvTranspose):
    dims = 3


class _Lazy:
    """``nn.Lazy<Conv>``: the signature without ``in_channels``; parameters stay None until
    the torch run's values are set, or the first input's channels are known."""

    def __init__(self, out_channels: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(0, out_channels, *args, **kwargs)


class LazyConv1d(_Lazy, Conv1d):
    pass


class LazyConv2d(_Lazy, Conv2d):
    pass


class LazyConv3d(_Lazy, Conv3d):
    pass


class LazyConvTranspose1d(_Lazy, ConvTranspose1d):
    pass


class LazyConvTranspose2d(_Lazy, ConvTranspose2d):
    pass


class LazyConvTranspose3d(_Lazy, ConvTranspose3d):
    pass
