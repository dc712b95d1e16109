# family: control
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

layer = nn.Linear(3, 1)


def inputs():
    return (torch.randn(4, 3),)


def forward(x):
    score = layer(x).mean()
    if score.item() > 0:  # a Python number from the tensor decides
        return score * 2
    return score - 1
