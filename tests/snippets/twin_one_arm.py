"""A variable set in one arm of a tensor-dependent if, used after it. No static twin."""
import torch


def inputs():
    return (torch.randn(3, requires_grad=True),)


def forward(x):
    if x.sum() > 0:
        y = x * 2
    else:
        z = x * 3
    return (x + y).sum() if x.sum() > 0 else (x + z).sum()
