# family: ops
# expect: equivalent
import torch


def inputs():
    return (torch.rand(3, 5, requires_grad=True) + 0.5,)


def forward(x):
    running = torch.cumsum(x, dim=1)
    product = x.cumprod(dim=0)
    return running.sum() + product.sum() + x.cumsum(-1)[:, -1].mean()
