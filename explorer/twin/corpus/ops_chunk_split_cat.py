# family: ops
# expect: equivalent
import torch
import torch.nn as nn

proj = nn.Linear(4, 12)


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    a, b, c = proj(x).chunk(3, dim=1)
    left, right = torch.split(proj(x), [5, 7], dim=1)
    pieces = proj(x).split(4, dim=-1)
    return torch.cat([a * b, c], dim=1).sum() + left.sum() - right.mean() + pieces[2].sum()
