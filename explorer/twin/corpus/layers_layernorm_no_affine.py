# family: layers
# expect: equivalent
import torch
import torch.nn as nn
import torch.nn.functional as F

norm = nn.LayerNorm([3, 4], elementwise_affine=False)
weight = torch.randn(4, requires_grad=True)


def inputs():
    return (torch.randn(2, 3, 4, requires_grad=True),)


def forward(x):
    h = norm(x) + F.layer_norm(x, (4,), weight=weight)
    return h.sum(dim=-1)
