# family: ops
# expect: equivalent
import torch
import torch.nn as nn

layer = nn.Linear(4, 6)


def inputs():
    return (torch.randn(3, 4), torch.tensor([[0, 5], [2, 2], [1, 4]]), torch.tensor([2, 0]))


def forward(x, picks, rows):
    h = layer(x)
    chosen = torch.gather(h, 1, picks)
    kept = torch.index_select(h, 0, rows)
    return chosen.sum() + kept.pow(2).sum() + h.gather(dim=1, index=picks).mean()
