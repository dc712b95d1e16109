# family: recurrent
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

rnn = nn.RNN(2, 4, batch_first=True)


def inputs():
    return (torch.randn(1, 8, 2),)


def forward(x):
    steps = int((x[0, :, 0] > 0).sum()) + 1  # how many steps depends on the data
    output, h = rnn(x[:, :steps])
    return h.sum()
