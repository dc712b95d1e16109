# family: ops
# expect: equivalent
import torch
import torch.nn.functional as F

A = torch.randn(2, 3, 4, requires_grad=True)


def inputs():
    return (torch.randn(2, 4, 5),)


def forward(x):
    h = torch.bmm(A, x)
    return torch.logsumexp(F.softplus(h), dim=-1).sum() + h.logsumexp(dim=1).mean()
