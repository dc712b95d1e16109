"""The twin's table rows for torch.nn's RNN, LSTM, GRU and their cells: class names with a twin
in ``explorer.twin.lib_recurrent`` and the rules of their functional forms (torch's cells as
functions: ``torch.lstm_cell`` ...; torch.nn.utils.rnn's padding and packing). Pure text, like
``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")

_CELL = "input, hx, w_ih, w_hh, b_ih=None, b_hh=None"
_UTILS = "torch.nn.utils.rnn."
FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    **{f"torch.{name}": (Rule(_CELL, f"tt.{name}({{input}}, {{hx}}, {{w_ih}}, {{w_hh}}"
                                     "<, b_ih={b_ih}><, b_hh={b_hh}>)"),)
       for name in ("rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell")},
    _UTILS + "pack_padded_sequence": (Rule(
        "input, lengths, batch_first=False, enforce_sorted=True",
        "tt.pack_padded_sequence({input}, {lengths}<, batch_first={batch_first}>)"),),
    _UTILS + "pad_packed_sequence": (Rule(
        "sequence, batch_first=False, padding_value=0.0, total_length=None",
        "tt.pad_packed_sequence({sequence}<, batch_first={batch_first}>"
        "<, padding_value={padding_value}><, total_length={total_length}>)"),),
    _UTILS + "pad_sequence": (Rule(
        "sequences, batch_first=False, padding_value=0.0, padding_side='right'",
        "tt.pad_sequence({sequences}<, batch_first={batch_first}>"
        "<, padding_value={padding_value}><, padding_side={padding_side}>)"),),
    _UTILS + "pack_sequence": (Rule("sequences, enforce_sorted=True",
                                    "tt.pack_sequence({sequences})"),),
}
METHODS: dict[str, tuple[Rule, ...]] = {}
