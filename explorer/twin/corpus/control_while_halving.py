# family: control
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

layer = nn.Linear(3, 3)


def inputs():
    return (torch.randn(2, 3) * 10,)


def forward(x):
    h = layer(x)
    while h.abs().max() > 1.0:  # how many halvings depends on the values
        h = h / 2
    return h.sum()
