"""TensorFlow twins of torch.nn's RNN, LSTM and GRU, with their cells (``lib_recurrent_cells``):
torch's parameter names and layouts, so the torch run's values copy over by path. Part of the
twin runtime (``explorer.twin.lib``).

A sequence module runs each layer and direction as one ``tf.while_loop`` over time: the static
graph holds one While per layer and direction, whose body is the cell, traced once, the way a
static graph writes a loop (torch's own graph, recorded while running, holds one cell per step).
As in torch's CPU kernel, the input half of every gate (``x W_ih^T + b_ih``) has no time
dependence and is computed for the whole sequence at once, outside the loop.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, _uniform, do_not_convert, dropout, linear
from explorer.twin.lib_recurrent_cells import (
    ACTIVATIONS,
    GRUCell,
    LSTMCell,
    RNNCell,
    gru_cell,
    gru_step,
    lstm_cell,
    lstm_step,
    rnn_relu_cell,
    rnn_step,
    rnn_tanh_cell,
)
from explorer.twin.lib_recurrent_packed import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "PackedSequence", "RNN", "RNNCell", "gru_cell",
           "lstm_cell", "over_time", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence", "pad_sequence", "rnn_relu_cell", "rnn_tanh_cell"]


# -- the sequence modules: a layer and direction is one While over time ---------------------

def over_time(step: Any, gates_x: tf.Tensor, state: tuple[tf.Tensor, ...], reverse: bool,
              name: str, lengths: tf.Tensor | None = None,
              ) -> tuple[tf.Tensor, tuple[tf.Tensor, ...]]:
    """``state = step(state, gates_x[t])`` for every t (backwards when ``reverse``): h at every
    step, and the last state. One tf.while_loop, so the graph holds one While whose body is the
    cell; the steps are read from and h written to TensorArrays, as Keras's TF backend does,
    and the length may be known only when the graph runs. With ``lengths`` (a packed batch),
    a sequence's steps past its end keep its state and output zeros."""
    with tf.name_scope(name):
        steps = gates_x.shape[0] if gates_x.shape[0] is not None else tf.shape(gates_x)[0]
        inputs = tf.TensorArray(gates_x.dtype, size=steps).unstack(gates_x)
        outputs = tf.TensorArray(gates_x.dtype, size=steps)

        def body(t: tf.Tensor, state: tuple, outputs: tf.TensorArray) -> tuple:
            i = steps - 1 - t if reverse else t
            new = step(state, inputs.read(i))
            if lengths is None:
                return t + 1, new, outputs.write(i, new[0])
            exists = tf.expand_dims(i < lengths, -1)  # (B, 1)
            new = tuple(tf.where(exists, n, s) for n, s in zip(new, state))
            return t + 1, new, outputs.write(i, tf.where(exists, new[0], tf.zeros_like(new[0])))

        _, state, outputs = tf.while_loop(lambda t, *_: t < steps, body, (0, state, outputs))
        return outputs.stack(), state


class _Recurrent(Module):
    """torch.nn.RNNBase: per layer ``k`` and direction (``""``, ``"_reverse"``)
    ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and
    ``weight_hr_l{k}`` for an LSTM's projection), in torch's layouts. Each kind gives
    ``_step(name)``: one time step of that layer and direction, (state, input gates) -> state."""

    gates = 1
    states = 1  # tensors in a state: h, or (h, c) for the LSTM

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        self.num_directions = 2 if bidirectional else 1
        out_size, rows = proj_size or hidden_size, self.gates * hidden_size
        for layer in range(num_layers):
            size_in = input_size if layer == 0 else out_size * self.num_directions
            for suffix in self._suffixes():
                name = f"l{layer}{suffix}"
                setattr(self, f"weight_ih_{name}", _uniform((rows, size_in), hidden_size))
                setattr(self, f"weight_hh_{name}", _uniform((rows, out_size), hidden_size))
                if bias:
                    setattr(self, f"bias_ih_{name}", _uniform((rows,), hidden_size))
                    setattr(self, f"bias_hh_{name}", _uniform((rows,), hidden_size))
                if proj_size:
                    setattr(self, f"weight_hr_{name}", _uniform((proj_size, hidden_size),
                                                                hidden_size))

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse")[:self.num_directions]

    def flatten_parameters(self) -> None:
        """torch packs cuDNN's weights into one buffer; the twin has nothing to pack."""

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size,)

    def _param(self, kind: str, name: str) -> tf.Variable | None:
        return getattr(self, f"{kind}_{name}", None)

    @do_not_convert
    def forward(self, input: tf.Tensor | PackedSequence, hx: Any = None) -> tuple[Any, Any]:
        if isinstance(input, PackedSequence):  # time first already, whatever batch_first says
            x, final = self._layers(input.padded, self._initial(input.padded, hx, True),
                                    input.lengths)
            return PackedSequence(x, input.lengths), self._result(final)
        batched = input.shape.rank == 3
        x = input if batched else tf.expand_dims(input, 1)  # torch runs a batch of one
        if self.batch_first and batched:
            x = tf.transpose(x, [1, 0, 2])  # the loop walks the first axis: time
        x, final = self._layers(x, self._initial(x, hx, batched))
        if self.batch_first and batched:
            x = tf.transpose(x, [1, 0, 2])
        if not batched:
            x, final = tf.squeeze(x, 1), tuple(tf.squeeze(s, 1) for s in final)
        return x, self._result(final)

    def _result(self, final: tuple[tf.Tensor, ...]) -> Any:
        return final if self.states > 1 else final[0]  # (h_n, c_n), or h_n

    def _initial(self, x: tf.Tensor, hx: Any, batched: bool) -> tuple[tf.Tensor, ...]:
        """The states each ``(layers * directions, N, size)``: given, else torch's zeros."""
        if hx is None:
            layers = self.num_layers * self.num_directions
            return tuple(tf.zeros((layers, tf.shape(x)[1], size), dtype=x.dtype)
                         for size in self._state_sizes())
        states = tuple(hx) if self.states > 1 else (hx,)
        return states if batched else tuple(tf.expand_dims(s, 1) for s in states)

    def _layers(self, x: tf.Tensor, states: tuple[tf.Tensor, ...],
                lengths: tf.Tensor | None = None) -> tuple[tf.Tensor, tuple[tf.Tensor, ...]]:
        """Every layer over time-major ``x``: the last layer's h at every step, the last
        states stacked in torch's order (layer by layer, forward before reverse)."""
        finals = []
        for layer in range(self.num_layers):
            if layer:  # torch drops out between layers, not after the last
                x = dropout(x, self.dropout, self.training)
            outputs = []
            for direction, suffix in enumerate(self._suffixes()):
                k, name = layer * self.num_directions + direction, f"l{layer}{suffix}"
                gates_x = linear(x, self._param("weight_ih", name), self._param("bias_ih", name))
                output, final = over_time(self._step(name), gates_x, tuple(s[k] for s in states),
                                          reverse=bool(direction),
                                          name=f"{type(self).__name__.lower()}_{name}",
                                          lengths=lengths)
                outputs.append(output)
                finals.append(final)
            x = tf.concat(outputs, axis=-1) if len(outputs) > 1 else outputs[0]
        return x, tuple(tf.stack([f[i] for f in finals]) for i in range(self.states))


class RNN(_Recurrent):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)
        self.nonlinearity = nonlinearity
        self.activation = ACTIVATIONS[nonlinearity]

    def _step(self, name: str) -> Any:
        w_hh, b_hh = self._param("weight_hh", name), self._param("bias_hh", name)
        return lambda state, gates_x: (rnn_step(gates_x, state[0], w_hh, b_hh, self.activation),)


class LSTM(_Recurrent):
    """LSTM with gates i, f, g, o; with ``proj_size``, h is projected by ``weight_hr``."""

    gates, states = 4, 2

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def _step(self, name: str) -> Any:
        w_hh, b_hh = self._param("weight_hh", name), self._param("bias_hh", name)
        w_hr = self._param("weight_hr", name)
        return lambda state, gates_x: lstm_step(gates_x, state, w_hh, b_hh, w_hr)


class GRU(_Recurrent):
    """GRU with gates r, z, n; n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))."""

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)

    def _step(self, name: str) -> Any:
        w_hh, b_hh = self._param("weight_hh", name), self._param("bias_hh", name)
        return lambda state, gates_x: (gru_step(gates_x, state[0], w_hh, b_hh),)
