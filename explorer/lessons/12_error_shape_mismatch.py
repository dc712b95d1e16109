"""Error: shapes that do not fit

`layer1` turns 6 features into 8, but `layer2` was built to take 5, so the matrix product inside
`layer2` fails. PyTorch runs each line as it comes, so the error stops forward at the line that
caused it, and the app marks that line and adds a hint. The message names both sides: in (2x8
and 5x3) the 8 features coming out of layer1 do not meet the 5 that layer2 expects.
"""
import torch
import torch.nn as nn

# no twin: the PyTorch run fails first

layer1 = nn.Linear(6, 8)
layer2 = nn.Linear(5, 3)  # the bug: this should be nn.Linear(8, 3)


def inputs():
    return (torch.randn(2, 6),)


def forward(x):
    h = torch.relu(layer1(x))
    return layer2(h).sum()  # <- fails here
