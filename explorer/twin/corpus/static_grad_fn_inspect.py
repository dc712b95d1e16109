# family: static
# expect: no-twin grad_fn
import torch

w = torch.randn(3, requires_grad=True)


def inputs():
    return (torch.randn(3),)


def forward(x):
    h = x * w
    if h.grad_fn is not None:  # <- no twin
        h = h * 2
    return h.sum()
