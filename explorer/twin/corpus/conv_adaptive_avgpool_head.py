# family: conv
# expect: equivalent
import torch
import torch.nn as nn

features = nn.Conv2d(3, 5, 3)
pool = nn.AdaptiveAvgPool2d((1, 1))
head = nn.Linear(5, 2)


def inputs():
    return (torch.randn(2, 3, 9, 7),)


def forward(x):
    h = pool(torch.relu(features(x))).flatten(1)
    return head(h).sum()
