"""One graph for every input: torch.export

A static graph is built before the data is seen, so it must hold every path: tf.function puts
both arms of this `if` into an If op, and torch.export refuses the Python `if` outright. Pick
torch.export under "PyTorch compiled": it names the line it refused and shows the same code
written with torch.cond, which exports as one graph whose cond op holds both arms, checked
against eager.
"""
import torch
import torch.nn as nn

scorer = nn.Linear(4, 4)


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    h = scorer(x)
    if h.max() > 1:  # a tensor decides: torch.export cannot choose one path
        h = h - 1
    else:
        h = h + 1
    return torch.relu(h).sum()
