# family: ops
# expect: equivalent
import torch

w = torch.randn(2, 3, 4, requires_grad=True)


def inputs():
    return (torch.randn(2, 3, 4),)


def forward(x):
    h = (x * w).permute(2, 0, 1)
    flat = torch.flatten(h, start_dim=1)
    unit = flat / flat.norm(dim=1, keepdim=True)
    return unit.sum() + h.flatten().var() + torch.std(x * w, dim=0).sum()
