# family: layers
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

norm = nn.LayerNorm(4)
mix = nn.Linear(4, 4)


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    h = x
    depth = 0
    while depth < 5 and (h - x).abs().mean() < 0.8:  # refine until the state drifts enough
        h = norm(h + torch.relu(mix(h)))
        depth += 1
    return h.sum()
