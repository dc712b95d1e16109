# family: losses
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn
import torch.nn.functional as F

embed = nn.Linear(4, 3)


def inputs():
    return (torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4))


def forward(anchor, positive, negative):
    a, p, n = embed(anchor), embed(positive), embed(negative)
    gap = (a - p).pow(2).sum(1) - (a - n).pow(2).sum(1)
    loss = torch.zeros(())
    for i in range(3):
        if gap[i] > -1.0:  # only triplets that still violate the margin count
            loss = loss + F.relu(gap[i] + 1.0)
    return loss
