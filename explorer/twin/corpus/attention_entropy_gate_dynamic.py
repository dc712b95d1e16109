# family: attention
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

mha = nn.MultiheadAttention(4, 2, batch_first=True)
norm = nn.LayerNorm(4)


def inputs():
    return (torch.randn(1, 3, 4),)


def forward(x):
    out, weights = mha(x, x, x)
    entropy = -(weights * torch.log(weights + 1e-9)).sum(-1).mean()
    if entropy > 0.9:  # diffuse attention: keep the residual path
        out = norm(out + x)
    return out.sum()
