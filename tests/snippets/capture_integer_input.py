import torch
import torch.nn as nn

embedding = nn.Embedding(10, 3)


def inputs():
    return (torch.tensor([1, 4, 4, 9]),)


def forward(tokens):
    return embedding(tokens).sum()
