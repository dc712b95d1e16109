# family: static
# expect: no-twin autograd_grad
import torch
import torch.nn as nn

critic = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))


def inputs():
    return (torch.randn(3, 2, requires_grad=True),)


def forward(x):
    score = critic(x).sum()
    (slope,) = torch.autograd.grad(score, x, create_graph=True)  # <- no twin
    return score + ((slope.norm(dim=1) - 1) ** 2).mean()
