# family: losses
# expect: equivalent
import torch
import torch.nn as nn

head = nn.Linear(3, 5)
criterion = nn.CrossEntropyLoss(ignore_index=-100)


def inputs():
    return (torch.randn(2, 4, 3), torch.tensor([[1, 4, -100, -100], [0, 2, 3, -100]]))


def forward(x, targets):
    logits = head(x)
    return criterion(logits.view(-1, 5), targets.view(-1))
