# family: layers
# expect: equivalent
import torch
import torch.nn as nn

net = nn.Sequential(nn.Linear(6, 10), nn.BatchNorm1d(10), nn.ReLU(), nn.Linear(10, 2))
net.train()


def inputs():
    return (torch.randn(8, 6),)


def forward(x):
    out = net(x)
    return out.sum() + net[1].running_mean.sum()
