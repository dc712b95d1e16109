# family: ops
# expect: equivalent
import torch

values = torch.randn(5, 3, requires_grad=True)


def inputs():
    groups = torch.tensor([0, 1, 0, 2, 1])
    return (groups,)


def forward(groups):
    index = groups[:, None].expand(5, 3)
    totals = torch.zeros(3, 3).scatter_add(0, index, values)
    placed = torch.zeros(3, 3).scatter(0, index[:3], values[:3])
    return (totals * totals).sum() + placed.sum()
