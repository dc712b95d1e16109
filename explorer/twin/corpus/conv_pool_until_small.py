# family: conv
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

conv = nn.Conv2d(1, 2, 3, padding=1)
pool = nn.MaxPool2d(2)


def inputs():
    return (torch.randn(1, 1, 8, 8),)


def forward(x):
    h = torch.relu(conv(x))
    if h.max() > 1.0:  # strong responses: summarise them coarser
        h = pool(pool(h))
    else:
        h = pool(h)
    return h.mean()
