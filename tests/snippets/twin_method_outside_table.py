"""A tensor method outside the twin's table (logcumsumexp)."""
import torch


def inputs():
    return (torch.randn(4, requires_grad=True),)


def forward(x):
    y = x * 2
    return y.logcumsumexp(0).sum()
