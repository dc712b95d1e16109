# family: losses
# expect: equivalent
import torch
import torch.nn as nn

layer = nn.Linear(4, 3)
criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 3.0, 0.5]))


def inputs():
    return (torch.randn(5, 4), torch.randint(0, 2, (5, 3)).float())


def forward(x, targets):
    return criterion(layer(x), targets)
