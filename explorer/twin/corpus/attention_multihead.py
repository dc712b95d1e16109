# family: attention
# expect: equivalent
import torch
import torch.nn as nn

mha = nn.MultiheadAttention(embed_dim=6, num_heads=2, batch_first=True)


def inputs():
    return (torch.randn(2, 3, 6),)


def forward(x):
    out, weights = mha(x, x, x)
    return out.sum() + weights.pow(2).sum()
