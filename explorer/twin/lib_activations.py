"""TensorFlow twins of torch.nn's activation functions, as modules and as functions.

Each follows torch's formula, boundaries included (which side of a threshold is linear, where a
gradient is zero), so the twin's outputs and gradients match torch's. Part of the twin runtime
(``explorer.twin.lib``)."""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, Softmax, do_not_convert

__all__ = [
    "celu", "elu", "selu", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
    "leaky_relu", "mish", "prelu", "rrelu", "softmin", "softplus", "softshrink", "tanhshrink",
    "threshold",
    "CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "LeakyReLU", "LogSigmoid", "Mish", "PReLU", "ReLU6", "RReLU", "SELU", "SiLU", "Softmax2d",
    "Softmin", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "Threshold",
]


SELU_SCALE, SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717

# -- functions ------------------------------------------------------------------------------

@do_not_convert
def gelu(input: tf.Tensor, approximate: str = "none") -> tf.Tensor:
    """TF's tanh form uses torch's constants, sqrt(2/pi) and 0.044715."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate argument must be either none or tanh, not {approximate!r}")
    return tf.nn.gelu(input, approximate=approximate == "tanh")


@do_not_convert
def leaky_relu(input: tf.Tensor, negative_slope: float = 0.01) -> tf.Tensor:
    return tf.nn.leaky_relu(input, alpha=negative_slope)


@do_not_convert
def elu(input: tf.Tensor, alpha: float = 1.0) -> tf.Tensor:
    # expm1 of the clipped input: the untaken branch's gradient stays finite for large x
    return tf.where(input > 0, input, alpha * tf.math.expm1(tf.minimum(input, 0.0)))


@do_not_convert
def selu(input: tf.Tensor) -> tf.Tensor:
    """scale * elu(x, alpha) with torch's constants; written out because tf.nn.selu's gradient
    at exactly 0 is scale, torch's scale * alpha (the x <= 0 branch)."""
    return SELU_SCALE * elu(input, SELU_ALPHA)


@do_not_convert
def celu(input: tf.Tensor, alpha: float = 1.0) -> tf.Tensor:
    return tf.where(input > 0, input, alpha * tf.math.expm1(tf.minimum(input, 0.0) / alpha))


@do_not_convert
def softplus(input: tf.Tensor, beta: float = 1.0, threshold: float = 20.0) -> tf.Tensor:
    """torch reverts to the identity where ``beta * x > threshold``."""
    scaled = input * beta
    curve = tf.math.softplus(tf.minimum(scaled, threshold)) / beta
    return tf.where(scaled > threshold, input, curve)


@do_not_convert
def hardtanh(input: tf.Tensor, min_val: float = -1.0, max_val: float = 1.0) -> tf.Tensor:
    """Clipped, with torch's zero gradient at exactly min_val and max_val (tf.clip_by_value's
    gradient passes there)."""
    low = tf.fill(tf.shape(input), tf.cast(min_val, input.dtype))
    high = tf.fill(tf.shape(input), tf.cast(max_val, input.dtype))
    return tf.where(input <= min_val, low, tf.where(input >= max_val, high, input))


@do_not_convert
def mish(input: tf.Tensor) -> tf.Tensor:
    return input * tf.tanh(tf.math.softplus(input))


@do_not_convert
def softmin(input: tf.Tensor, dim: int | None = None) -> tf.Tensor:
    if input.shape.rank == 0:  # torch takes a 0-d input as one element; TF's softmax does not
        return Softmax(0)(-input[None])[0]
    return Softmax(dim)(-input)


@do_not_convert
def glu(input: tf.Tensor, dim: int = -1) -> tf.Tensor:
    a, b = tf.split(input, 2, axis=dim)
    return a * tf.sigmoid(b)


@do_not_convert
def hardshrink(input: tf.Tensor, lambd: float = 0.5) -> tf.Tensor:
    return tf.where(tf.abs(input) > lambd, input, tf.zeros_like(input))


@do_not_convert
def softshrink(input: tf.Tensor, lambd: float = 0.5) -> tf.Tensor:
    shrunk = tf.where(input > 0, input - lambd, input + lambd)
    return tf.where(tf.abs(input) > lambd, shrunk, tf.zeros_like(input))


@do_not_convert
def hardswish(input: tf.Tensor) -> tf.Tensor:
    """torch's branches: 0 up to -3, x from 3, x(x+3)/6 between; at exactly -3 and 3 torch's
    gradient is that of the outer branches (0 and 1)."""
    middle = tf.where(input >= 3.0, input, input * (input + 3.0) / 6.0)
    return tf.where(input <= -3.0, tf.zeros_like(input), middle)


@do_not_convert
def hardsigmoid(input: tf.Tensor) -> tf.Tensor:
    # relu6's gradient is zero at both ends, as torch's hardsigmoid's is
    return tf.nn.relu6(input + 3.0) / 6.0


@do_not_convert
def tanhshrink(input: tf.Tensor) -> tf.Tensor:
    return input - tf.tanh(input)


@do_not_convert
def threshold(input: tf.Tensor, threshold: float, value: float) -> tf.Tensor:
    return tf.where(input > threshold, input, tf.fill(tf.shape(input), tf.cast(value, input.dtype)))


@do_not_convert
def prelu(input: tf.Tensor, weight: tf.Tensor) -> tf.Tensor:
    """One slope per channel, channels in dim 1 (torch's layout); a 1-D input takes its
    slopes element by element."""
    if weight.shape.num_elements() == 1:
        slope = tf.reshape(weight, [])  # one slope: the output keeps the input's shape
    elif input.shape.rank >= 2:
        slope = tf.reshape(weight, [-1] + [1] * (input.shape.rank - 2))
    else:
        slope = weight
    return tf.where(input > 0, input, slope * input)


@do_not_convert
def rrelu(input: tf.Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False) -> tf.Tensor:
    """Evaluation mode only: the fixed slope (lower + upper) / 2. In training torch draws a
    slope per element from its own generator, which TensorFlow cannot reproduce."""
    if training:
        raise NotImplementedError(
            "RReLU in training mode draws a random slope per element from torch's generator, "
            "which TensorFlow cannot reproduce: the twin has RReLU in eval mode only.")
    return tf.nn.leaky_relu(input, alpha=(lower + upper) / 2)


# -- modules --------------------------------------------------------------------------------

class _Function(Module):
    """A module that applies one of the functions above with the options it was built with
    (``inplace`` is accepted and means nothing: TF tensors are values)."""

    function: Any = None

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = options

    @do_not_convert
    def forward(self, input: tf.Tensor) -> tf.Tensor:
        return type(self).function(input, **self.options)


class _Plain(_Function):
    """A function with no options (``inplace`` aside)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()


class SiLU(_Plain):
    function = staticmethod(tf.nn.silu)


class SELU(_Plain):
    function = staticmethod(selu)


class ReLU6(_Plain):
    function = staticmethod(tf.nn.relu6)  # no gradient at either end, as torch's


class Mish(_Plain):
    function = staticmethod(mish)


class Hardswish(_Plain):
    function = staticmethod(hardswish)


class Hardsigmoid(_Plain):
    function = staticmethod(hardsigmoid)


class LogSigmoid(_Plain):
    function = staticmethod(tf.math.log_sigmoid)


class Softsign(_Plain):
    function = staticmethod(tf.nn.softsign)


class Tanhshrink(_Plain):
    function = staticmethod(tanhshrink)


class GELU(_Function):
    function = staticmethod(gelu)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate=approximate)


class LeakyReLU(_Function):
    function = staticmethod(leaky_relu)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(negative_slope=negative_slope)


class ELU(_Function):
    function = staticmethod(elu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha=alpha)


class CELU(_Function):
    function = staticmethod(celu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha=alpha)


class Softplus(_Function):
    function = staticmethod(softplus)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)


class Hardtanh(_Function):
    function = staticmethod(hardtanh)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        # min_value/max_value: torch's deprecated spellings, which win when given
        super().__init__(min_val=min_val if min_value is None else min_value,
                         max_val=max_val if max_value is None else max_value)


class Softmin(_Function):
    function = staticmethod(softmin)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim=dim)


class Softmax2d(Module):
    """Softmax over the channels of a (C, H, W) or (N, C, H, W) input: dim -3."""

    @do_not_convert
    def forward(self, input: tf.Tensor) -> tf.Tensor:
        if input.shape.rank not in (3, 4):
            raise ValueError(f"Softmax2d: expected input of 3 or 4 dimensions, got "
                             f"{input.shape.rank}")
        return tf.nn.softmax(input, axis=-3)


class GLU(_Function):
    function = staticmethod(glu)

    def __init__(self, dim: int = -1) -> None:
        super().__init__(dim=dim)


class Hardshrink(_Function):
    function = staticmethod(hardshrink)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__(lambd=lambd)


class Softshrink(Hardshrink):
    function = staticmethod(softshrink)


class Threshold(_Function):
    function = staticmethod(threshold)

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__(threshold=threshold, value=value)


class PReLU(Module):
    """torch's ``weight``: one slope per channel (or one for all), initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = tf.Variable(tf.fill((num_parameters,), init))

    @do_not_convert
    def forward(self, input: tf.Tensor) -> tf.Tensor:
        return prelu(input, self.weight)


class RReLU(Module):
    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper = lower, upper

    @do_not_convert
    def forward(self, input: tf.Tensor) -> tf.Tensor:
        return rrelu(input, self.lower, self.upper, self.training)

