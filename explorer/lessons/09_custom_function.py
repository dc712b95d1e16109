"""A custom autograd.Function

`RoundThrough` rounds going forward, whose true gradient is zero almost everywhere, and its own
`backward` passes the incoming gradient on unchanged, so `layer` still learns (a
straight-through estimator). The graph shows it as one RoundThroughBackward node: during
backward autograd calls our Python method there instead of a built-in formula. There is no twin,
since the translation cannot turn an arbitrary Python backward into graph ops.
"""
import torch
import torch.nn as nn

# no twin: a custom autograd.Function runs our own Python backward, which the twin cannot translate


class RoundThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output  # as if forward had been the identity


layer = nn.Linear(4, 4)


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    h = layer(x)
    steps = RoundThrough.apply(h * 4) / 4  # h rounded to quarters
    return (steps ** 2).sum()
