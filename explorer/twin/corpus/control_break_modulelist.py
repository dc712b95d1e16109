# family: control
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(5)])


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    h = x
    for layer in layers:
        h = torch.tanh(layer(h)) + h
        if h.norm() > 4.0:  # deep enough: exit early
            break
    return h.sum()
