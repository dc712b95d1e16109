"""A break inside a loop over a tensor's rows: AutoGraph makes it one While op."""
import torch

w = torch.randn(3, requires_grad=True)
LIMIT = 2.0  # the total at which the loop stops early


def inputs():
    return (torch.rand(5, 3),)


def forward(x):
    h = torch.zeros(3)
    for row in x:
        h = h + row * w
        if h.abs().sum() > LIMIT:
            break
    return h.sum()
