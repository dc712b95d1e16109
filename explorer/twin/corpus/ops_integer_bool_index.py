# family: ops
# expect: equivalent
import torch

table = torch.randn(6, 3, requires_grad=True)


def inputs():
    return (torch.tensor([4, 1, 1, 5]),)


def forward(idx):
    rows = table[idx]
    picked = table[idx, torch.tensor([0, 2, 1, 0])]
    positive = table[table > 0]
    return rows.sum() + picked.pow(2).sum() + positive.sum()
