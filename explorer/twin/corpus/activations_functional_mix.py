# family: activations
# expect: equivalent
import torch
import torch.nn.functional as F

w = torch.randn(4, 4, requires_grad=True)


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    h = x @ w
    a = F.gelu(h) + F.silu(h) + F.leaky_relu(h, 0.2) + F.elu(h)
    b = F.softplus(h, beta=2) + F.relu6(h * 3) + F.hardtanh(h) + F.selu(h) + F.mish(h)
    return (a * b).sum() + F.gelu(h, approximate="tanh").sum()
