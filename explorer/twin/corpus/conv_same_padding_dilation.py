# family: conv
# expect: equivalent
import torch
import torch.nn as nn

conv_same = nn.Conv2d(3, 4, kernel_size=3, padding="same", dilation=2)
conv_valid = nn.Conv2d(4, 2, kernel_size=(2, 3), padding=(1, 0))


def inputs():
    return (torch.randn(1, 3, 7, 7),)


def forward(x):
    h = torch.tanh(conv_same(x))
    return conv_valid(h).sum()
