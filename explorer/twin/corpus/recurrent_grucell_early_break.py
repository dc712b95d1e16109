# family: recurrent
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

cell = nn.GRUCell(3, 4)
readout = nn.Linear(4, 1)


def inputs():
    return (torch.randn(6, 1, 3),)


def forward(seq):
    h = torch.zeros(1, 4)
    for t in range(seq.shape[0]):
        h = cell(seq[t], h)
        if h.norm() > 0.6:  # stop reading once the state is confident
            break
    return readout(h).sum()
