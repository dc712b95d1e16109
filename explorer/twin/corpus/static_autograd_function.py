# family: static
# expect: no-twin autograd_function
import torch
import torch.nn as nn


class ClipGrad(torch.autograd.Function):  # <- no twin
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad.clamp(-0.1, 0.1)


layer = nn.Linear(3, 3)


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    return ClipGrad.apply(layer(x)).pow(2).sum()
