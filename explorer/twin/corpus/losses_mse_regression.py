# family: losses
# expect: equivalent
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
criterion = nn.MSELoss()


def inputs():
    x = torch.randn(10, 3)
    y = x.sum(dim=1, keepdim=True) * 0.5
    return (x, y)


def forward(x, y):
    return criterion(model(x), y)
