# family: control
# expect: equivalent
# dynamic: yes
import torch

w = torch.randn(5, requires_grad=True)


def inputs():
    return (torch.rand(5),)


def forward(x):
    h = x * w
    total = torch.cumsum(h, dim=0)
    while total[-1] < 3.0 and total.abs().max() < 100:  # grow until the running sum is large
        h = h + x
        total = torch.cumsum(h, dim=0)
    return total.sum()
