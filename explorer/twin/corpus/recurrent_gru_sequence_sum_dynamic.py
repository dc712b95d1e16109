# family: recurrent
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

gru = nn.GRU(2, 3, batch_first=True)


def inputs():
    return (torch.randn(1, 5, 2),)


def forward(x):
    output, h = gru(x)
    if output[:, -1].sum() > output[:, 0].sum():  # did the state grow along the sequence?
        return output.sum()
    return -h.sum()
