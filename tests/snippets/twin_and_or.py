"""and / or / not on tensor conditions: AutoGraph builds them into the graph."""
import torch

w = torch.randn(3, requires_grad=True)


def inputs():
    return (torch.randn(3),)


def forward(x):
    h = x * w
    if h.sum() > 0 and not h.max() > 5:
        h = h * 2
    if h.min() < -1 or h.sum() > 1:
        h = h - 1
    return h.sum()
