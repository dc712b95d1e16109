# family: ops
# expect: equivalent
import torch

w = torch.randn(4, requires_grad=True)


def inputs():
    return (torch.randn(4), torch.randn(4))


def forward(a, b):
    h = a * w
    close = torch.isclose(h, b, atol=0.5).float()
    above = torch.gt(h, b).float() + torch.ge(h, 0).float() + torch.lt(h, b).float()
    equal = torch.eq(torch.sign(h), torch.sign(b)).float() + h.ne(b).float()
    return (h * (close + above + equal)).sum() + torch.logical_not(h > 0).sum()
