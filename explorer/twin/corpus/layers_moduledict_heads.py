# family: layers
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

body = nn.Linear(4, 8)
heads = nn.ModuleDict({"small": nn.Linear(8, 2), "large": nn.Linear(8, 2)})


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    h = torch.relu(body(x))
    if h.mean() > 0.2:  # route by the activation's size
        out = heads["large"](h)
    else:
        out = heads["small"](h)
    return out.sum()
