# family: ops
# expect: equivalent
import torch

u = torch.randn(4, requires_grad=True)


def inputs():
    return (torch.randn(4),)


def forward(v):
    m = torch.outer(u, v)
    upper = torch.triu(m, diagonal=1)
    lower = m.tril()
    return upper.sum() - lower.pow(2).sum() + torch.triu(m).diagonal().sum()
