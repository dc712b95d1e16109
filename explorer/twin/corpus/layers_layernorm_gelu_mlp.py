# family: layers
# expect: equivalent
import torch
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.norm = nn.LayerNorm(16)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(self.act(self.norm(self.fc1(x))))


model = MLP()


def inputs():
    return (torch.randn(4, 8),)


def forward(x):
    return model(x).pow(2).mean()
