# family: activations
# expect: equivalent
import torch
import torch.nn as nn

leaky = nn.LeakyReLU(0.1)
elu = nn.ELU(alpha=0.5)
selu = nn.SELU()


def inputs():
    return (torch.randn(2, 5, requires_grad=True),)


def forward(x):
    return leaky(x) + elu(x) * 2 + selu(x) * 3
