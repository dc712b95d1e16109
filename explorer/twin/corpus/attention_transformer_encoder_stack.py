# family: attention
# expect: equivalent
import torch
import torch.nn as nn

block = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0)
encoder = nn.TransformerEncoder(block, num_layers=2, enable_nested_tensor=False)
encoder.eval()


def inputs():
    return (torch.randn(3, 2, 4),)


def forward(x):
    return encoder(x).sum()
