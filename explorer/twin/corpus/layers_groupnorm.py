# family: layers
# expect: equivalent
import torch
import torch.nn as nn

norm = nn.GroupNorm(2, 4)
proj = nn.Linear(4, 4)


def inputs():
    return (torch.randn(3, 4, 5),)


def forward(x):
    h = norm(x)
    return proj(h.transpose(1, 2)).sum()
