# family: attention
# expect: equivalent
import torch
import torch.nn as nn

mha = nn.MultiheadAttention(4, 1)


def inputs():
    padding = torch.tensor([[False, False, True], [False, False, False]])
    return (torch.randn(3, 2, 4), torch.randn(3, 2, 4), padding)


def forward(query, memory, padding):
    out, _ = mha(query, memory, memory, key_padding_mask=padding, need_weights=False)
    return out.sum()
