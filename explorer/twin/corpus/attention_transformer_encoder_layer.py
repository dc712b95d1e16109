# family: attention
# expect: equivalent
import torch
import torch.nn as nn

layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                   batch_first=True)


def inputs():
    return (torch.randn(2, 5, 8),)


def forward(x):
    return layer(x).sum()
