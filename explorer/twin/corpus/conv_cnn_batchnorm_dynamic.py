# family: conv
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

stem = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
extra = nn.Conv2d(4, 4, 3, padding=1)


def inputs():
    return (torch.randn(2, 1, 6, 6),)


def forward(x):
    h = stem(x)
    if h.mean() > 0.3:  # a second conv only for bright feature maps
        h = torch.relu(extra(h)) + h
    return h.mean(dim=(2, 3)).sum()
