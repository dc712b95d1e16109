# family: ops
# expect: equivalent
# dynamic: yes
import torch

w = torch.randn(5, requires_grad=True)


def inputs():
    return (torch.randn(5),)


def forward(x):
    h = x * w
    positive = h > 0
    small = h.abs() < 0.5
    if (positive & small).any():
        h = h * 2
    if torch.all(positive | ~small):
        h = h + 1
    elif torch.logical_and(positive, small).sum() == 0:
        h = h - 1
    return h.sum()
