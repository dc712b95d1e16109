# family: control
# expect: equivalent
import torch
import torch.nn as nn

cell = nn.GRUCell(2, 3)


def inputs():
    return ([torch.randn(3, 2), torch.randn(5, 2), torch.randn(2, 2)],)


def forward(sequences):
    finals = []
    for seq in sequences:  # each sequence has its own length
        h = torch.zeros(1, 3)
        for x_t in seq:
            h = cell(x_t[None], h)
        finals.append(h)
    return torch.cat(finals).sum()
