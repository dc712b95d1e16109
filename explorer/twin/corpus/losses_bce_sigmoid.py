# family: losses
# expect: equivalent
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
bce = nn.BCELoss()


def inputs():
    return (torch.randn(6, 3), torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0]]))


def forward(x, y):
    return bce(model(x), y)
