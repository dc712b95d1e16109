import torch
import torch.nn as nn

layer = nn.Linear(3, 2)


def inputs():
    return (torch.randn(4, 3, requires_grad=True),)


def forward(x):
    return torch.tanh(layer(x)).sum()
