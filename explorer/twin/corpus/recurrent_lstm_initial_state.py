# family: recurrent
# expect: equivalent
import torch
import torch.nn as nn

lstm = nn.LSTM(3, 4, num_layers=2)


def inputs():
    h0 = torch.randn(2, 1, 4)
    c0 = torch.randn(2, 1, 4)
    return (torch.randn(5, 1, 3), (h0, c0))


def forward(x, state):
    output, (h, c) = lstm(x, state)
    return output.mean() + h.sum() - c.sum()
