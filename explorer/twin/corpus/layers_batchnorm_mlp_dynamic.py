# family: layers
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

fc = nn.Linear(4, 6)
bn = nn.BatchNorm1d(6)
out = nn.Linear(6, 1)


def inputs():
    return (torch.randn(5, 4) * 2,)


def forward(x):
    h = fc(x)
    if h.std() > 1.0:  # normalise only when the activations spread out
        h = bn(h)
    return out(torch.relu(h)).sum()
