import torch

bias = torch.zeros(4, requires_grad=True)
scale = torch.ones(3, 1, requires_grad=True)


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    return (x * scale + bias).sum()   # (3, 4) * (3, 1) + (4,) broadcasts to (3, 4)
