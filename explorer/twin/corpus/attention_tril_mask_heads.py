# family: attention
# expect: equivalent
import torch
import torch.nn as nn

qkv = nn.Linear(6, 18)


def inputs():
    return (torch.randn(1, 4, 6),)


def forward(x):
    b, t, _ = x.shape
    q, k, v = qkv(x).chunk(3, dim=-1)
    q = q.view(b, t, 2, 3).transpose(1, 2)
    k = k.view(b, t, 2, 3).transpose(1, 2)
    v = v.view(b, t, 2, 3).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) * 3 ** -0.5
    keep = torch.tril(torch.ones(t, t, dtype=torch.bool))
    scores = scores.masked_fill(~keep, -1e9)
    out = torch.softmax(scores, dim=-1) @ v
    return out.transpose(1, 2).reshape(b, t, 6).sum()
