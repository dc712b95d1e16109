# family: activations
# expect: equivalent
import torch
import torch.nn as nn

softplus = nn.Softplus(beta=2.0)
hardtanh = nn.Hardtanh(-0.5, 0.5)
relu6 = nn.ReLU6()


def inputs():
    return (torch.randn(3, 4, requires_grad=True) * 4,)


def forward(x):
    return (softplus(x) + hardtanh(x) + relu6(x)).sum(dim=0)
