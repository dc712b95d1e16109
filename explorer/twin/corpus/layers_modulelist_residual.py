# family: layers
# expect: equivalent
import torch
import torch.nn as nn


class Residual(nn.Module):
    def __init__(self, width, depth):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.norms = nn.ModuleList([nn.LayerNorm(width) for _ in range(depth)])

    def forward(self, x):
        for block, norm in zip(self.blocks, self.norms):
            x = x + torch.relu(block(norm(x)))
        return x


net = Residual(6, 3)


def inputs():
    return (torch.randn(2, 6),)


def forward(x):
    return net(x).sum()
