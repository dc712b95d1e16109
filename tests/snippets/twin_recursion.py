"""Recursion whose depth depends on the data: halve until small. No static twin."""
import torch
import torch.nn as nn

layer = nn.Linear(4, 4)


def inputs():
    return (torch.randn(1, 4),)


def shrink(h):
    if h.abs().sum() > 1:
        return shrink(layer(h) * 0.5)
    return h


def forward(x):
    return shrink(x * 4).sum()
