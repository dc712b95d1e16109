# family: control
# expect: equivalent
import torch
import torch.nn as nn

cell = nn.RNNCell(2, 2)


def inputs():
    return (torch.randn(1, 2),)


def forward(x):
    h = torch.zeros(1, 2)
    for _ in range(3):  # a Python loop: unrolled into three copies in both graphs
        h = cell(x, h)
    return h.sum()
