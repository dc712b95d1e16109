# family: control
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

step = nn.Linear(3, 3)


def inputs():
    return (torch.randn(1, 3),)


def forward(x):
    h = x
    for i in range(6):
        h = step(h)
        if h.sum() < -1.0:  # a bad state ends the rollout
            return h.pow(2).sum()
    return h.sum()
