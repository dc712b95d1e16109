# family: control
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

up = nn.Linear(3, 3)
down = nn.Linear(3, 3)


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    h = x
    for i in range(4):
        if h.mean() > 0:
            h = torch.relu(up(h))
        else:
            h = torch.sigmoid(down(h))
    return h.sum()
