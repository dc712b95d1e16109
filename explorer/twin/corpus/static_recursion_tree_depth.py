# family: static
# expect: no-twin recursion
# dynamic: yes
import torch
import torch.nn as nn

split = nn.Linear(2, 2)


def inputs():
    return (torch.tensor([[3.0, -2.0]]),)


def descend(h, depth):
    if h.abs().sum() > 0.5:  # keep splitting while the node is large
        return descend(torch.tanh(split(h)) * 0.5, depth + 1)  # <- no twin
    return h * depth


def forward(x):
    return descend(x, 1).sum()
