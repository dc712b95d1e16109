# family: conv
# expect: equivalent
import torch
import torch.nn.functional as F

kernel = torch.randn(3, 2, 3, 3, requires_grad=True)
bias = torch.zeros(3, requires_grad=True)


def inputs():
    return (torch.randn(1, 2, 8, 8),)


def forward(x):
    h = F.conv2d(x, kernel, bias, stride=1, padding=1)
    a = F.max_pool2d(h, kernel_size=2)
    b = F.avg_pool2d(h, 2)
    return (a * b).sum()
