# family: activations
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

fc = nn.Linear(3, 3)
gelu = nn.GELU()
leaky = nn.LeakyReLU(0.01)


def inputs():
    return (torch.randn(4, 3),)


def forward(x):
    h = fc(x)
    if (h < 0).float().mean() > 0.5:  # mostly negative: keep some gradient flowing
        h = leaky(h)
    else:
        h = gelu(h)
    return h.sum()
