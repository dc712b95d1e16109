# family: ops
# expect: equivalent
import torch

W = torch.randn(3, 4, 5, requires_grad=True)


def inputs():
    return (torch.randn(2, 4), torch.randn(2, 5))


def forward(a, b):
    scores = torch.einsum("bi,kij,bj->bk", a, W, b)
    gram = torch.einsum("bi,ci->bc", a, a)
    return scores.sum() + gram.trace()
