# family: conv
# expect: equivalent
import torch
import torch.nn as nn
import torch.nn.functional as F

conv = nn.Conv2d(1, 2, 3)


def inputs():
    return (torch.randn(1, 1, 5, 5),)


def forward(x):
    zero = F.pad(x, (1, 1, 1, 1))
    reflect = F.pad(x, (1, 1, 1, 1), mode="reflect")
    return (conv(zero) + conv(reflect)).sum()
