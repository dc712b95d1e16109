"""A data-dependent if

Python's `if` looks at a tensor's value, so the graph PyTorch records depends on the data:
with seed 0 the layer is applied once, with seed 2 twice. The tf.function twin cannot choose
while tracing, so it holds both arms inside one `If` op.
"""
import torch
import torch.nn as nn

linear_layer = nn.Linear(in_features=10, out_features=10)


def inputs():
    return (torch.randn(1, 10),)


def forward(x):
    if x.sum() > 0:
        y = linear_layer(x)
    else:
        y = linear_layer(x)
        y = linear_layer(y)
    return y.sum()
