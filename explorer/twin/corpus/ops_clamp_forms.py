# family: ops
# expect: equivalent
import torch

w = torch.randn(3, 3, requires_grad=True)


def inputs():
    return (torch.randn(3, 3) * 2,)


def forward(x):
    h = x * w
    a = torch.clamp(h, min=-1.0)
    b = h.clamp(max=0.5) + h.clamp_min(0.1) + torch.clamp_max(h, 0.2)
    c = torch.clip(h, -0.3, 0.3)
    d = h * 1
    d.clamp_(-0.5, 0.5)
    return (a + b + c + d).sum()
