# family: ops
# expect: equivalent
import torch

w = torch.randn(2, 3, requires_grad=True)


def inputs():
    return (torch.randn(4, 2, 3),)


def forward(x):
    tiled = w.repeat(2, 1)
    spread = w.unsqueeze(0).expand(4, 2, 3)
    flipped = torch.flip(x * spread, dims=[2])
    shifted = torch.roll(flipped, shifts=1, dims=0)
    return tiled.pow(2).sum() + shifted.sum() + (x * w.expand_as(x)).flip(0)[0].sum()
