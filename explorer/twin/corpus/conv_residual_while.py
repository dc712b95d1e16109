# family: conv
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

block = nn.Conv2d(2, 2, kernel_size=3, padding=1)


def inputs():
    return (torch.randn(1, 2, 5, 5),)


def forward(x):
    h = x
    steps = torch.tensor(0)
    while h.abs().mean() < 2.0 and steps < 4:  # deepen until the signal is strong
        h = h + torch.tanh(block(h))
        steps = steps + 1
    return h.sum()
