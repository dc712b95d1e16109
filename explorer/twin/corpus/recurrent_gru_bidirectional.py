# family: recurrent
# expect: equivalent
import torch
import torch.nn as nn

gru = nn.GRU(4, 3, num_layers=2, bidirectional=True)


def inputs():
    return (torch.randn(5, 2, 4),)


def forward(x):
    output, h = gru(x)
    return output.sum() + h.pow(2).sum()
