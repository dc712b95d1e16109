# family: layers
# expect: equivalent
import torch
import torch.nn as nn

use_projection = False
skip = nn.Linear(4, 4) if use_projection else nn.Identity()
layer = nn.Linear(4, 4)


def inputs():
    return (torch.randn(5, 4),)


def forward(x):
    return (torch.sigmoid(layer(x)) + skip(x)).sum()
