# family: conv
# expect: equivalent
import torch
import torch.nn as nn

depthwise = nn.Conv2d(4, 4, kernel_size=3, stride=2, padding=1, groups=4, bias=False)
pointwise = nn.Conv2d(4, 6, kernel_size=1)


def inputs():
    return (torch.randn(2, 4, 8, 8),)


def forward(x):
    return pointwise(torch.relu(depthwise(x))).mean()
