import torch

w = torch.randn(4, requires_grad=True)


def inputs():
    return (torch.randn(4),)


def forward(x):
    h = x * w
    h[0] = 0.0                 # in-place on a slice: autograd records CopySlices
    h.mul_(2)                  # in-place multiply: a MulBackward0 replaces h's grad_fn
    return h.sum()
