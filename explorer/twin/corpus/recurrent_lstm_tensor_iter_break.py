# family: recurrent
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

cell = nn.LSTMCell(2, 2)


def inputs():
    return (torch.randn(7, 1, 2),)


def forward(seq):
    h = torch.zeros(1, 2)
    c = torch.zeros(1, 2)
    for x_t in seq:
        h, c = cell(x_t, (h, c))
        if c.sum() > 0.4:  # an end-of-sequence signal learnt in the cell
            break
    return h.sum()
