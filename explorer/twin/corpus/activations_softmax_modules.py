# family: activations
# expect: equivalent
import torch
import torch.nn as nn

proj = nn.Linear(4, 5)
softmax = nn.Softmax(dim=-1)
log_softmax = nn.LogSoftmax(dim=1)


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    logits = proj(x)
    return (softmax(logits) * log_softmax(logits)).sum()
