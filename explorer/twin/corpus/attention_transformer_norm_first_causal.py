# family: attention
# expect: equivalent
import torch
import torch.nn as nn

layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0, activation="gelu",
                                   batch_first=True, norm_first=True)
causal = nn.Transformer.generate_square_subsequent_mask(4)


def inputs():
    return (torch.randn(1, 4, 8),)


def forward(x):
    return layer(x, src_mask=causal).pow(2).mean()
