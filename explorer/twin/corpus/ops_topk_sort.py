# family: ops
# expect: equivalent
import torch

w = torch.randn(6, requires_grad=True)


def inputs():
    return (torch.tensor([0.3, -1.2, 2.5, 0.7, -0.1, 1.9]),)


def forward(x):
    h = x * w
    top, where = torch.topk(h, k=3)
    ordered, order = torch.sort(h, descending=True)
    ascending = h.sort().values
    return top.sum() + (ordered * torch.arange(6.0)).sum() + ascending[0] + where.float().sum()
