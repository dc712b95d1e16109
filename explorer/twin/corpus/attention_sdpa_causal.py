# family: attention
# expect: equivalent
import torch
import torch.nn.functional as F

wq = torch.randn(4, 4, requires_grad=True)
wk = torch.randn(4, 4, requires_grad=True)


def inputs():
    return (torch.randn(1, 2, 5, 4),)


def forward(x):
    out = F.scaled_dot_product_attention(x @ wq, x @ wk, x, is_causal=True)
    return out.sum()
