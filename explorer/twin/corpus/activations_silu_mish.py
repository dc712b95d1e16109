# family: activations
# expect: equivalent
import torch
import torch.nn as nn

block = nn.Sequential(nn.Linear(3, 6), nn.SiLU(), nn.Linear(6, 6), nn.Mish(), nn.Linear(6, 1))


def inputs():
    return (torch.randn(4, 3),)


def forward(x):
    return block(x).sum()
