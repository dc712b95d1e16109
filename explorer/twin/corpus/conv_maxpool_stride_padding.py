# family: conv
# expect: equivalent
import torch
import torch.nn as nn

pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
avg = nn.AvgPool2d(kernel_size=2, stride=1)
conv = nn.Conv2d(2, 3, 2, bias=False)


def inputs():
    return (torch.randn(2, 2, 7, 7),)


def forward(x):
    return conv(avg(pool(x))).sum()
