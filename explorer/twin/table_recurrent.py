"""The twin's table rows for torch.nn's RNN, LSTM, GRU and their cells: class names with a twin
in ``explorer.twin.lib_recurrent`` and the rules of their functional forms (torch's cells as
functions: ``torch.lstm_cell`` ...). Pure text, like ``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")

_CELL = "input, hx, w_ih, w_hh, b_ih=None, b_hh=None"
FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    f"torch.{name}": (Rule(_CELL, f"tt.{name}({{input}}, {{hx}}, {{w_ih}}, {{w_hh}}"
                                  "<, b_ih={b_ih}><, b_hh={b_hh}>)"),)
    for name in ("rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell")}
METHODS: dict[str, tuple[Rule, ...]] = {}
