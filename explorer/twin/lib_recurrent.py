"""TensorFlow twins of torch.nn's RNN, LSTM, GRU and their cells: torch's parameter names and layouts, so
the torch run's values copy over by path. Part of the twin runtime (``explorer.twin.lib``)."""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, _uniform, do_not_convert, linear

__all__ = ["RNNCell"]


class RNNCell(Module):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), torch's layout and names."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", **kwargs: Any) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.activation = {"tanh": tf.tanh, "relu": tf.nn.relu}[nonlinearity]
        self.weight_ih = _uniform((hidden_size, input_size), hidden_size)
        self.weight_hh = _uniform((hidden_size, hidden_size), hidden_size)
        self.bias_ih = _uniform((hidden_size,), hidden_size) if bias else None
        self.bias_hh = _uniform((hidden_size,), hidden_size) if bias else None

    @do_not_convert
    def forward(self, x: tf.Tensor, hx: tf.Tensor | None = None) -> tf.Tensor:
        if hx is None:
            shape = (self.hidden_size,) if x.shape.rank == 1 else (x.shape[0], self.hidden_size)
            hx = tf.zeros(shape, dtype=x.dtype)
        return self.activation(linear(x, self.weight_ih, self.bias_ih)
                               + linear(hx, self.weight_hh, self.bias_hh))

