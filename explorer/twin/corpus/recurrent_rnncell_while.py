# family: recurrent
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

cell = nn.RNNCell(2, 3)


def inputs():
    return (torch.randn(1, 2),)


def forward(x):
    h = torch.zeros(1, 3)
    n = 0
    while h.abs().sum() < 1.5 and n < 6:  # run the cell until the state moves enough
        h = cell(x, h)
        n += 1
    return h.sum()
