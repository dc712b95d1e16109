# family: control
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

a = nn.Linear(2, 2)
b = nn.Linear(2, 2)


def inputs():
    return (torch.randn(3, 2),)


def forward(x):
    s = x.sum()
    if s > 1:
        h = a(x)
    elif s > -1:
        h = b(x)
        if h.mean() > 0:
            h = h * 3
    else:
        h = a(b(x))
    return h.sum()
