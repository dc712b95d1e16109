import torch

w = torch.randn(3, requires_grad=True)


def inputs():
    return (torch.randn(3),)


def forward(x):
    y = torch.tanh(w * x)   # tanh saves y for its backward
    y.add_(1)               # ... and this overwrites it: backward must refuse
    return y.sum()
