# family: layers
# expect: equivalent
import torch
import torch.nn as nn

flatten = nn.Flatten()
fc = nn.Linear(12, 12)
unflatten = nn.Unflatten(1, (3, 4))


def inputs():
    return (torch.randn(2, 3, 4),)


def forward(x):
    h = fc(flatten(x))
    return (unflatten(h) * x).sum()
