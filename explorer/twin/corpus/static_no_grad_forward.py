# family: static
# expect: no-twin no_grad
import torch
import torch.nn as nn

encoder = nn.Linear(4, 4)
head = nn.Linear(4, 2)


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    with torch.no_grad():  # <- no twin
        features = encoder(x)
    return head(features).sum()
