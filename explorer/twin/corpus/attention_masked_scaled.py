# family: attention
# expect: equivalent
import math

import torch
import torch.nn as nn

to_q = nn.Linear(4, 4)
to_k = nn.Linear(4, 4)
to_v = nn.Linear(4, 4)


def inputs():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    return (torch.randn(2, 4, 4), mask)


def forward(x, mask):
    q, k, v = to_q(x), to_k(x), to_v(x)
    scores = q @ k.transpose(-2, -1) / math.sqrt(4)
    scores = scores.masked_fill(mask[:, None, :] == 0, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return (weights @ v).sum()
