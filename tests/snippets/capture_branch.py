"""Branch on a value: which arm runs depends on the layer's initial weights (the seed)."""
import torch
import torch.nn as nn

layer = nn.Linear(4, 4)


def inputs():
    return (torch.ones(1, 4),)


def forward(x):
    h = layer(x)
    if h.sum() > 0:
        return torch.relu(h).sum()
    return torch.sigmoid(h).sum()
