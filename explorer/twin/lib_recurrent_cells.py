"""TensorFlow twins of torch.nn's RNNCell, LSTMCell, GRUCell and torch's cell functions
(``torch.lstm_cell`` ...): one time step, in torch's parameter names and layouts. Gates are
stacked as torch stacks them: LSTM ``i, f, g, o``, GRU ``r, z, n``. The step functions are
shared with the sequence modules in ``lib_recurrent``, which compute the input half of the gates
(``x W_ih^T + b_ih``) for a whole sequence at once and pass it in.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, _uniform, do_not_convert, linear

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "gru_cell", "lstm_cell", "rnn_relu_cell",
           "rnn_tanh_cell"]

ACTIVATIONS = {"tanh": tf.tanh, "relu": tf.nn.relu}


# -- one step, from the input half of the gates (already computed) and the hidden state -----

def rnn_step(gates_x: tf.Tensor, h: tf.Tensor, w_hh: tf.Tensor, b_hh: tf.Tensor | None,
             activation: Any) -> tf.Tensor:
    return activation(gates_x + linear(h, w_hh, b_hh))


def lstm_step(gates_x: tf.Tensor, state: tuple[tf.Tensor, tf.Tensor], w_hh: tf.Tensor,
              b_hh: tf.Tensor | None, w_hr: tf.Tensor | None = None,
              ) -> tuple[tf.Tensor, tf.Tensor]:
    h, c = state
    i, f, g, o = tf.split(gates_x + linear(h, w_hh, b_hh), 4, axis=-1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    h = tf.sigmoid(o) * tf.tanh(c)
    return (h if w_hr is None else linear(h, w_hr)), c  # proj_size: h is projected


def gru_step(gates_x: tf.Tensor, h: tf.Tensor, w_hh: tf.Tensor, b_hh: tf.Tensor | None,
             ) -> tf.Tensor:
    x_r, x_z, x_n = tf.split(gates_x, 3, axis=-1)
    h_r, h_z, h_n = tf.split(linear(h, w_hh, b_hh), 3, axis=-1)
    r = tf.sigmoid(x_r + h_r)
    z = tf.sigmoid(x_z + h_z)
    n = tf.tanh(x_n + r * h_n)  # torch resets the hidden half after its bias, as cuDNN does
    return (1 - z) * n + z * h


# -- torch.rnn_tanh_cell, torch.lstm_cell, ...: the cells as functions ----------------------

@do_not_convert
def rnn_tanh_cell(input: tf.Tensor, hx: tf.Tensor, w_ih: tf.Tensor, w_hh: tf.Tensor,
                  b_ih: tf.Tensor | None = None, b_hh: tf.Tensor | None = None) -> tf.Tensor:
    return rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, tf.tanh)


@do_not_convert
def rnn_relu_cell(input: tf.Tensor, hx: tf.Tensor, w_ih: tf.Tensor, w_hh: tf.Tensor,
                  b_ih: tf.Tensor | None = None, b_hh: tf.Tensor | None = None) -> tf.Tensor:
    return rnn_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh, tf.nn.relu)


@do_not_convert
def lstm_cell(input: tf.Tensor, hx: tuple[tf.Tensor, tf.Tensor], w_ih: tf.Tensor,
              w_hh: tf.Tensor, b_ih: tf.Tensor | None = None, b_hh: tf.Tensor | None = None,
              ) -> tuple[tf.Tensor, tf.Tensor]:
    return lstm_step(linear(input, w_ih, b_ih), tuple(hx), w_hh, b_hh)


@do_not_convert
def gru_cell(input: tf.Tensor, hx: tf.Tensor, w_ih: tf.Tensor, w_hh: tf.Tensor,
             b_ih: tf.Tensor | None = None, b_hh: tf.Tensor | None = None) -> tf.Tensor:
    return gru_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh)


# -- the cells as modules -------------------------------------------------------------------

class _Cell(Module):
    """``weight_ih (G*H, in)``, ``weight_hh (G*H, H)``, ``bias_ih``, ``bias_hh`` (``G*H``)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = self.gates * hidden_size
        self.weight_ih = _uniform((rows, input_size), hidden_size)
        self.weight_hh = _uniform((rows, hidden_size), hidden_size)
        self.bias_ih = _uniform((rows,), hidden_size) if bias else None
        self.bias_hh = _uniform((rows,), hidden_size) if bias else None

    def _zeros(self, x: tf.Tensor) -> tf.Tensor:
        """torch's default state: zeros, (H,) for one unbatched step, else (N, H)."""
        shape = (self.hidden_size,) if x.shape.rank == 1 else (tf.shape(x)[0], self.hidden_size)
        return tf.zeros(shape, dtype=x.dtype)

    def _gates_x(self, x: tf.Tensor) -> tf.Tensor:
        return linear(x, self.weight_ih, self.bias_ih)


class RNNCell(_Cell):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity
        self.activation = ACTIVATIONS[nonlinearity]

    @do_not_convert
    def forward(self, input: tf.Tensor, hx: tf.Tensor | None = None) -> tf.Tensor:
        hx = self._zeros(input) if hx is None else hx
        return rnn_step(self._gates_x(input), hx, self.weight_hh, self.bias_hh, self.activation)


class LSTMCell(_Cell):
    """(h', c') from (h, c): gates i, f, g, o, stacked in that order in every weight."""

    gates = 4

    @do_not_convert
    def forward(self, input: tf.Tensor, hx: tuple[tf.Tensor, tf.Tensor] | None = None,
                ) -> tuple[tf.Tensor, tf.Tensor]:
        hx = (self._zeros(input), self._zeros(input)) if hx is None else tuple(hx)
        return lstm_step(self._gates_x(input), hx, self.weight_hh, self.bias_hh)


class GRUCell(_Cell):
    """h' from h: gates r, z, n, stacked in that order in every weight."""

    gates = 3

    @do_not_convert
    def forward(self, input: tf.Tensor, hx: tf.Tensor | None = None) -> tf.Tensor:
        hx = self._zeros(input) if hx is None else hx
        return gru_step(self._gates_x(input), hx, self.weight_hh, self.bias_hh)
