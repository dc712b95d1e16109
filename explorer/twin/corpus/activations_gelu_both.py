# family: activations
# expect: equivalent
import torch
import torch.nn as nn

exact = nn.GELU()
approx = nn.GELU(approximate="tanh")
fc = nn.Linear(4, 4)


def inputs():
    return (torch.randn(3, 4) * 2,)


def forward(x):
    h = fc(x)
    return (exact(h) - approx(h)).sum() * 100 + exact(h).sum()
