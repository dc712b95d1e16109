# family: ops
# expect: equivalent
import torch

w = torch.randn(4, 4, requires_grad=True)


def inputs():
    return (torch.randn(4, 4),)


def forward(x):
    h = x @ w
    clipped = h.masked_fill(h > 1.0, 1.0)
    signed = torch.where(h > 0, h, 0.1 * h)
    return clipped.sum() + signed.pow(2).sum() + torch.where(x < 0, torch.zeros_like(h), h).sum()
