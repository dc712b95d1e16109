# family: ops
# expect: equivalent
import torch

w = torch.randn(3, requires_grad=True)


def inputs():
    return (torch.randn(4, 3),)


def forward(x):
    n = len(x)
    width = x.shape[1]
    scale = float(x.abs().max())
    mean = x.mean().item()
    h = (x - mean) / scale * w
    return h.sum() / (n * width) + x.size(0) * w.sum()
