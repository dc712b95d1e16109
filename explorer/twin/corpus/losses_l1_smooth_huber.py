# family: losses
# expect: equivalent
import torch
import torch.nn as nn
import torch.nn.functional as F

layer = nn.Linear(2, 2)
smooth = nn.SmoothL1Loss(beta=0.5)
huber = nn.HuberLoss(delta=0.7)
l1_sum = nn.L1Loss(reduction="sum")


def inputs():
    return (torch.randn(8, 2) * 2, torch.randn(8, 2))


def forward(x, y):
    pred = layer(x)
    return F.l1_loss(pred, y) + smooth(pred, y) + huber(pred, y) + l1_sum(pred, y)
