# family: recurrent
# expect: equivalent
import torch
import torch.nn as nn

cell = nn.LSTMCell(2, 3)


def inputs():
    return (torch.randn(4, 2, 2),)


def forward(seq):
    h = torch.zeros(2, 3)
    c = torch.zeros(2, 3)
    outputs = []
    for x_t in seq:
        h, c = cell(x_t, (h, c))
        outputs.append(h)
    return torch.stack(outputs).sum() + c.sum()
