# family: conv
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

blocks = nn.ModuleList([nn.Conv1d(2, 2, 3, padding=1) for _ in range(3)])
exit_head = nn.Linear(2, 1)


def inputs():
    return (torch.randn(1, 2, 6),)


def forward(x):
    h = x
    for block in blocks:
        h = torch.relu(block(h)) + h
        confidence = torch.sigmoid(exit_head(h.mean(dim=2))).squeeze()
        if confidence > 0.7:  # an early-exit network: stop once the exit head is sure
            break
    return exit_head(h.mean(dim=2)).sum()
