"""The recurrent family's twins (RNN, LSTM, GRU, their cells, torch's cell functions): the same
forward in PyTorch and as its TF twin, on the same numbers; outputs and the gradient of every
leaf (parameters copied by path with torch's names, and the inputs) checked against torch's own
autograd with numpy, not with the twin's own verdict."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from explorer.graph import Graph
from explorer.twin import table_recurrent
from tests.test_twin_table import assert_same, run_both

twin = pytest.importorskip("explorer.twin")
twin_run = pytest.importorskip("explorer.twin.run")  # imports TensorFlow once per session
tf = pytest.importorskip("tensorflow")
twin_lib = pytest.importorskip("explorer.twin.lib")
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

# x: a batch of sequences (L=5, N=3, H_in=4); u: one unbatched sequence (L=6, H_in=4);
# h: states for 2 layers x 2 directions of width 5, batch 3. All three are leaves.
SNIPPET = '''import torch
import torch.nn as nn

{module}


def inputs():
    return (torch.randn(5, 3, 4).requires_grad_(), torch.randn(6, 4).requires_grad_(),
            torch.randn(4, 3, 5).requires_grad_())


def forward(x, u, h):
{body}
'''

# (table key it covers, module-level code, forward body, TF text the twin must contain)
ROWS: list[tuple[str, str, str, str]] = [
    ("class:RNN", "rnn = nn.RNN(4, 5)", "out, h_n = rnn(x)\n    return out, h_n", "nn.RNN(4, 5)"),
    ("class:RNN/relu-layers-h0", "rnn = nn.RNN(4, 5, 2, 'relu')",
     "out, h_n = rnn(x, h[:2])\n    return out, h_n", "rnn(x, h[:2])"),
    ("class:RNN/batch_first-bidirectional-no-bias",
     "rnn = nn.RNN(4, 5, num_layers=2, batch_first=True, bidirectional=True, bias=False)",
     "out, h_n = rnn(x.transpose(0, 1), h)\n    return out, h_n", "bidirectional=True"),
    ("class:RNN/unbatched", "rnn = nn.RNN(4, 5, bidirectional=True)",
     "out, h_n = rnn(u)\n    again, _ = rnn(u, h_n)\n    return out, h_n, again", "rnn(u, h_n)"),
    ("class:LSTM", "lstm = nn.LSTM(4, 5)",
     "out, (h_n, c_n) = lstm(x)\n    return out, h_n, c_n", "nn.LSTM(4, 5)"),
    ("class:LSTM/layers-bidirectional-states",
     "lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True)",
     "out, (h_n, c_n) = lstm(x, (h, torch.tanh(h)))\n    return out, h_n, c_n",
     "lstm(x, (h, tf.tanh(h)))"),
    ("class:LSTM/batch_first-dropout-eval",
     "lstm = nn.LSTM(4, 5, 3, batch_first=True, dropout=0.4)\nlstm.eval()",
     "out, (h_n, c_n) = lstm(x.transpose(0, 1))\n    return out[:, -1], h_n, c_n", "out[:, -1]"),
    ("class:LSTM/proj_size-no-bias-unbatched",
     "lstm = nn.LSTM(4, 5, 2, bias=False, proj_size=3, bidirectional=True)",
     "out, (h_n, c_n) = lstm(u)\n    again, (h2, c2) = lstm(u, (h_n, c_n))\n"
     "    return out, h_n, c_n, again, h2, c2", "proj_size=3"),
    ("class:LSTM/in-a-module-flatten_parameters",
     "class Tagger(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
     "        self.lstm = nn.LSTM(4, 5, batch_first=True, bidirectional=True)\n"
     "        self.fc = nn.Linear(10, 3)\n\n    def forward(self, x):\n"
     "        self.lstm.flatten_parameters()\n        out, _ = self.lstm(x)\n"
     "        return self.fc(out).log_softmax(-1)\n\n\nmodel = Tagger()",
     "return model(x)", "self.lstm.flatten_parameters()"),
    ("class:GRU", "gru = nn.GRU(4, 5)", "out, h_n = gru(x)\n    return out, h_n", "nn.GRU(4, 5)"),
    ("class:GRU/layers-bidirectional-h0-batch_first",
     "gru = nn.GRU(4, 5, 2, batch_first=True, bidirectional=True)",
     "out, h_n = gru(x.transpose(0, 1), h)\n    return out, h_n", "batch_first=True"),
    ("class:GRU/unbatched-no-bias", "gru = nn.GRU(4, 5, bias=False)",
     "out, h_n = gru(u, h[0, :1])\n    return out, h_n", "bias=False"),
    ("class:RNNCell", "cell = nn.RNNCell(4, 5)",
     "h1 = cell(x[0])\n    return cell(x[1], h1), cell(u[0])", "nn.RNNCell(4, 5)"),
    ("class:RNNCell/relu-no-bias", "cell = nn.RNNCell(4, 5, bias=False, nonlinearity='relu')",
     "return cell(x[0], h[0])", "nonlinearity='relu'"),
    ("class:LSTMCell", "cell = nn.LSTMCell(4, 5)",
     "h1, c1 = cell(x[0])\n    h2, c2 = cell(x[1], (h1, c1))\n    return h2, c2, cell(u[0])[1]",
     "nn.LSTMCell(4, 5)"),
    ("class:LSTMCell/no-bias-state", "cell = nn.LSTMCell(4, 5, bias=False)",
     "return cell(x[0], (h[0], h[1]))", "bias=False"),
    ("class:GRUCell", "cell = nn.GRUCell(4, 5)",
     "h1 = cell(x[0])\n    return cell(x[1], h1), cell(u[0], h[0, 0])", "nn.GRUCell(4, 5)"),
    ("class:GRUCell/no-bias", "cell = nn.GRUCell(4, 5, False)", "return cell(x[0], h[1])",
     "nn.GRUCell(4, 5, False)"),
    # torch's cells as functions, on the weights of a cell module
    *[(f"torch.{fn}", f"cell = nn.{cls}(4, 5)",
       f"return torch.{fn}(x[0], {hx}, cell.weight_ih, cell.weight_hh, cell.bias_ih, "
       "cell.bias_hh)" + extra, f"tt.{fn}(x[0], {hx}, cell.weight_ih")
      for fn, cls, hx, extra in [
          ("rnn_tanh_cell", "RNNCell", "h[0]", ""),
          ("rnn_relu_cell", "RNNCell", "h[0]", ""),
          ("lstm_cell", "LSTMCell", "(h[0], h[1])", "[1]"),
          ("gru_cell", "GRUCell", "h[2]", "")]],
    ("torch.gru_cell/no-bias", "w_ih = torch.randn(15, 4, requires_grad=True)\n"
                               "w_hh = torch.randn(15, 5, requires_grad=True)",
     "return torch.gru_cell(x[0], h[0], w_ih, w_hh)", "tt.gru_cell(x[0], h[0], w_ih, w_hh)"),
]

# Rows with data-dependent control flow: traced by tf.function (AutoGraph), the others run the
# twin's forward eagerly (the same ops, without the cost of a trace per row).
FLOW_ROWS: list[tuple[str, str, str, str]] = [
    # an if on a tensor value around the layer: an If op, both arms traced
    ("flow:if-around-lstm", "lstm = nn.LSTM(4, 5, batch_first=True)",
     "out, (h_n, c_n) = lstm(x)\n    if h_n.sum() > 0:\n        y = out.sum(1)\n"
     "    else:\n        y = c_n[0] * 2\n    return y", "if tf.reduce_sum(h_n) > 0:"),
    # a GRUCell loop over steps whose update is skipped on a tensor condition
    ("flow:gru-cell-loop-if", "cell = nn.GRUCell(4, 5)",
     "state = h[0]\n    for x_t in x:\n        step = cell(x_t, state)\n"
     "        if step.norm() > 1.5:\n            state = step * 0.5\n        else:\n"
     "            state = step\n    return state", "for x_t in x:"),
    # a GRUCell loop that stops early on a tensor condition (here after 4 of 5 steps): an If
    # per unrolled step
    ("flow:gru-cell-break", "cell = nn.GRUCell(4, 5)",
     "state = h[0]\n    for t in range(5):\n        state = cell(x[t], state)\n"
     "        if state.norm() < 1.2:\n            break\n    return state", "for t in range(5):"),
    # an LSTMCell over the steps of a tensor, with a break (after 4 of 5 steps): a While with
    # the break in its condition
    ("flow:lstm-cell-tensor-break", "cell = nn.LSTMCell(4, 5)",
     "state = (h[0], h[1])\n    for x_t in x:\n        state = cell(x_t, state)\n"
     "        if state[1].abs().max() < 0.8:\n            break\n    return state",
     "for x_t in x:"),
    # an RNNCell run while a tensor condition holds (2 of 5 steps): a While whose trip count
    # is data
    ("flow:while-rnn-cell", "cell = nn.RNNCell(4, 5)",
     "state = torch.zeros(3, 5)\n    t = torch.tensor(0)\n"
     "    while t < 5 and state.abs().sum() < 7.0:\n        state = cell(x[t], state)\n"
     "        t = t + 1\n    return state", "while "),
    # nn.RNN over a data-dependent length (4 of 5 steps): the static graph's sequence has no
    # known length
    ("flow:rnn-data-length", "rnn = nn.RNN(4, 5, 2)",
     "n = (x[:, 0, 0] > -0.5).long().sum()\n    out, h_n = rnn(x[:n])\n    return out.sum(0), h_n",
     "x[:n]"),
]


# Packed batches: sequences of lengths 5, 2, 4 padded to 6 steps (batch first), and a list of
# two sequences of lengths 4 and 2. The twin keeps them padded and masks the missing steps.
PACKED = '''import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence

{module}


def inputs():
    return (torch.randn(3, 6, 4).requires_grad_(), torch.tensor([5, 2, 4]),
            [torch.randn(4, 4).requires_grad_(), torch.randn(2, 4).requires_grad_()],
            torch.randn(2, 3, 5).requires_grad_())


def forward(x, lengths, seqs, h):
{body}
'''
PACKED_ROWS: list[tuple[str, str, str, str]] = [
    ("torch.nn.utils.rnn.pack_padded_sequence",
     "lstm = nn.LSTM(4, 5, 2, batch_first=True, bidirectional=True)",
     "packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)\n"
     "    out, (h_n, c_n) = lstm(packed)\n"
     "    padded, lens = pad_packed_sequence(out, batch_first=True, padding_value=-1.0)\n"
     "    return padded, lens, h_n, c_n",
     "tt.pack_padded_sequence(x, lengths, batch_first=True)"),
    ("torch.nn.utils.rnn.pad_packed_sequence", "gru = nn.GRU(4, 5)",
     "packed = nn.utils.rnn.pack_padded_sequence(x.transpose(0, 1), lengths, False, False)\n"
     "    out, h_n = gru(packed, h[:1])\n"
     "    return nn.utils.rnn.pad_packed_sequence(out, total_length=8)[0], h_n",
     "tt.pad_packed_sequence(out, total_length=8)"),
    ("torch.nn.utils.rnn.pack_sequence", "rnn = nn.RNN(4, 5, bidirectional=True)",
     "out, h_n = rnn(pack_sequence(seqs))\n    return pad_packed_sequence(out)[0], h_n",
     "rnn(tt.pack_sequence(seqs))"),
    ("torch.nn.utils.rnn.pad_sequence", "",
     "return (nn.utils.rnn.pad_sequence(seqs), nn.utils.rnn.pad_sequence(seqs, True, 0.5),\n"
     "            nn.utils.rnn.pad_sequence(seqs, padding_side='left'))",
     "tt.pad_sequence(seqs, batch_first=True, padding_value=0.5)"),
]


def _check(code: str, traced: bool) -> str:
    text, torch_run, outputs, grads = run_both(code, traced=traced)
    assert "torch" not in text  # nothing of torch left in the twin
    assert len(outputs) == len(torch_run.outputs)
    for i, (expected, actual) in enumerate(zip(torch_run.outputs, outputs)):
        assert_same(expected, actual, f"output {i}")
    assert torch_run.grads, "every row differentiates something"
    for path, expected in torch_run.grads.items():
        actual = grads[path]
        if expected is None or actual is None:  # an input the row leaves unused
            assert expected is None and (actual is None or not actual.any()), path
        else:
            assert_same(expected, actual, f"gradient of {path}")
    return text


@pytest.mark.parametrize("key, module, body, tf_text", ROWS + FLOW_ROWS,
                         ids=[r[0] for r in ROWS + FLOW_ROWS])
def test_row_matches_torch(key: str, module: str, body: str, tf_text: str) -> None:
    code = SNIPPET.format(module=module, body=f"    {body}")
    text = _check(code, traced=key.startswith("flow:"))
    assert tf_text in text


@pytest.mark.parametrize("key, module, body, tf_text", PACKED_ROWS,
                         ids=[r[0].rpartition(".")[2] for r in PACKED_ROWS])
def test_packed_row_matches_torch(key: str, module: str, body: str, tf_text: str) -> None:
    text = _check(PACKED.format(module=module, body=f"    {body}"), traced=False)
    assert tf_text in text


def test_packed_sequence_has_no_flat_data() -> None:
    """torch's .data holds only the steps that exist; the twin's batch stays padded, and
    says so rather than hand back a tensor of another shape."""
    packed = twin_lib.pack_sequence([tf.ones((3, 2)), tf.ones((1, 2))])
    with pytest.raises(NotImplementedError, match="keeps a PackedSequence padded"):
        _ = packed.data


def test_dropout_between_layers() -> None:
    """Train mode drops units between layers, not after the last; the check's setting keeps
    every unit, which gives the eval-mode result (checked against torch above)."""
    x = tf.random.normal((5, 3, 4))
    lstm = twin_lib.LSTM(4, 5, 3, dropout=0.5)
    evaluated = lstm.eval()(x)[0].numpy()
    lstm.train()
    with twin_lib.identity_dropout():
        np.testing.assert_array_equal(lstm(x)[0].numpy(), evaluated)
    assert not np.allclose(lstm(x)[0].numpy(), evaluated)
    single = twin_lib.GRU(4, 5, 1, dropout=0.5)  # one layer: nothing between layers
    np.testing.assert_array_equal(single(x)[0].numpy(), single.eval()(x)[0].numpy())


def test_every_table_entry_has_a_row() -> None:
    covered = {r[0].split("/")[0] for r in ROWS + PACKED_ROWS}
    keys = ({f"class:{k}" for k in table_recurrent.CLASSES} | set(table_recurrent.FUNCTIONS)
            | {f"method:{k}" for k in table_recurrent.METHODS})
    assert keys - covered == set()


# -- end to end: twin.compare, and what the static graph holds -------------------------------

WHILE_OPS = ("While", "StatelessWhile")


def _compare(module: str, body: str) -> tuple[dict, Graph]:
    result = twin.compare(SNIPPET.format(module=module, body=f"    {body}"))
    assert result["status"] == "ok", result.get("message")
    assert result["equivalent"] is True, result["message"]
    return result, Graph.from_json(result["graph"])


def _ops(graph: Graph) -> Counter:
    return Counter(n.op for n in graph.nodes if n.kind == "op")


def test_lstm_graph_holds_one_while_per_layer_and_direction() -> None:
    """torch records a cell per step (5 here); the static graph holds one loop per layer and
    direction, named after torch's parameters, whose body is the cell traced once."""
    _, graph = _compare("lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True)",
                        "out, (h_n, c_n) = lstm(x, (h, h))\n    return out, h_n, c_n")
    loops = {n.id: n for n in graph.nodes if n.op in WHILE_OPS}
    assert set(loops) == {f"lstm_l{k}{s}/while" for k in (0, 1) for s in ("", "_reverse")}
    for loop in loops.values():
        body = _ops(graph.subgraphs[loop.attrs["subgraphs"]["body"]])
        assert (body["MatMul"], body["Sigmoid"], body["Tanh"]) == (1, 3, 2)  # h W_hh^T; gates
    assert _ops(graph)["Sigmoid"] == 0 and _ops(graph)["MatMul"] == 4  # x W_ih^T, hoisted


def test_gru_under_a_tensor_if() -> None:
    _, graph = _compare("gru = nn.GRU(4, 5, 2, batch_first=True)",
                        "out, h_n = gru(x.transpose(0, 1), h[:2])\n"
                        "    if out.mean() > 0:\n        return h_n * 2\n    return h_n")
    assert sum(_ops(graph)[op] for op in ("If", "StatelessIf")) == 1
    assert sum(_ops(graph)[op] for op in WHILE_OPS) == 2


def test_rnn_over_a_data_dependent_length() -> None:
    """The twin's sequence has a length known only when the graph runs: a loop unrolled in
    Python could not hold it, the While does."""
    result, graph = _compare("rnn = nn.RNN(4, 5)",
                             "n = (x[:, 0, 0] > 0).long().sum() + 1\n"
                             "    out, h_n = rnn(x[:n])\n    return out.sum(0), h_n")
    assert sum(_ops(graph)[op] for op in WHILE_OPS) == 1
    assert result["tf"]["output"]["items"][1]["shape"] == [1, 3, 5]
