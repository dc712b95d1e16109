# family: losses
# expect: equivalent
import torch
import torch.nn as nn

net = nn.Linear(5, 4)
criterion = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0]), label_smoothing=0.1)


def inputs():
    return (torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 1, 1]))


def forward(x, labels):
    return criterion(net(x), labels)
