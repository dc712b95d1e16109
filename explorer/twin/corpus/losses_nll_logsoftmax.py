# family: losses
# expect: equivalent
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1))
nll = nn.NLLLoss(reduction="sum")


def inputs():
    return (torch.randn(5, 4), torch.tensor([2, 0, 1, 1, 0]))


def forward(x, labels):
    return nll(model(x), labels)
