# family: ops
# expect: equivalent
# dynamic: yes
import torch

w = torch.randn(4, requires_grad=True)


def inputs():
    return (torch.tensor([3.7, -0.2, 9.1, 1.4]),)


def forward(x):
    h = x * w.abs() * 2
    while (h > 1.0).any():  # wrap every value into [.., 1] one step at a time
        h = torch.where(h > 1.0, h - 1.0, h)
    return h.sum()
