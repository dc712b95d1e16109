# family: ops
# expect: equivalent
import torch

w = torch.randn(2, 3, requires_grad=True)


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    zeros = torch.zeros_like(x)
    ones = torch.ones_like(w)
    full = torch.full_like(x, 0.5)
    fresh = x.new_zeros(2, 3) + x.new_ones((2, 3)) + x.new_full((2, 3), 2.0)
    made = x.new_tensor([1.0, 2.0, 3.0])
    return ((w + zeros) * ones * full + fresh * made).sum() + torch.empty_like(x).zero_().sum()
