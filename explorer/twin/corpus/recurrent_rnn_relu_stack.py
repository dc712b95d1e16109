# family: recurrent
# expect: equivalent
import torch
import torch.nn as nn

rnn = nn.RNN(3, 3, num_layers=2, nonlinearity="relu", batch_first=True)
h0 = torch.zeros(2, 2, 3)


def inputs():
    return (torch.randn(2, 4, 3),)


def forward(x):
    output, h = rnn(x, h0)
    return output.sum()
