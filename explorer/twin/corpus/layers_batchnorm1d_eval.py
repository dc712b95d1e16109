# family: layers
# expect: equivalent
import torch
import torch.nn as nn

norm = nn.BatchNorm1d(5, momentum=0.5)
with torch.no_grad():
    norm(torch.randn(16, 5) * 3 + 1)  # running statistics from one batch of data
norm.eval()
head = nn.Linear(5, 1)


def inputs():
    return (torch.randn(4, 5),)


def forward(x):
    return head(norm(x)).sum()
