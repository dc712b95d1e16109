# family: losses
# expect: equivalent
import torch
import torch.nn as nn

head = nn.Linear(4, 3)
per_item = nn.CrossEntropyLoss(reduction="none")


def inputs():
    return (torch.randn(6, 4), torch.tensor([0, 2, 1, 1, 0, 2]),
            torch.tensor([1.0, 1.0, 0.0, 1.0, 0.0, 1.0]))


def forward(x, labels, keep):
    losses = per_item(head(x), labels)
    return (losses * keep).sum() / keep.sum()
