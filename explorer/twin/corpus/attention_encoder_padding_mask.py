# family: attention
# expect: equivalent
import torch
import torch.nn as nn

layer = nn.TransformerEncoderLayer(4, 1, dim_feedforward=8, dropout=0.0, batch_first=True)


def inputs():
    padding = torch.tensor([[False, False, False, True]])
    return (torch.randn(1, 4, 4), padding)


def forward(x, padding):
    out = layer(x, src_key_padding_mask=padding)
    return out[:, :3].sum()
