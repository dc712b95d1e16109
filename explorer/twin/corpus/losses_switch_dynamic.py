# family: losses
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn
import torch.nn.functional as F

layer = nn.Linear(3, 1)


def inputs():
    return (torch.randn(6, 3), torch.randn(6, 1) * 3)


def forward(x, y):
    pred = layer(x)
    error = (pred - y).abs().max()
    if error > 2.0:  # outliers present: a robust loss
        loss = F.huber_loss(pred, y, delta=1.0)
    else:
        loss = F.mse_loss(pred, y)
    return loss
