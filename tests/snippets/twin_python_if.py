"""Python-constant conditions: the tracer settles them, so no If op appears."""
import torch
import torch.nn as nn

USE_BIAS = True
layer = nn.Linear(4, 4)


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    h = layer(x)
    if USE_BIAS:                 # a Python bool
        h = h + 1
    if x.shape[0] > 1:           # a static shape: known while tracing
        h = torch.tanh(h)
    else:
        h = torch.sigmoid(h)
    for _ in range(3):           # a Python range: unrolled, three Relu ops
        h = torch.relu(h - 0.1)
    return h.sum()
