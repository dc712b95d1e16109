# family: conv
# expect: equivalent
import torch
import torch.nn as nn

net = nn.Sequential(
    nn.Conv1d(2, 4, kernel_size=5, stride=1, padding=2),
    nn.ReLU(),
    nn.AvgPool1d(2),
    nn.Conv1d(4, 4, kernel_size=3),
    nn.MaxPool1d(2),
)


def inputs():
    return (torch.randn(3, 2, 16),)


def forward(signal):
    return net(signal).sum()
