"""A while loop on a tensor's value

The loop halves h until its norm drops to 1 or less, so the data decides how many times it
runs: a longer input vector adds MulBackward0 steps to the chain, and other seeds give other
counts. The tf.function twin cannot know the count while tracing, so it turns the loop into
one While op, with the test `h.norm() > 1` as its condition function and one halving as its
body.
"""
import torch
import torch.nn as nn

shrink = torch.tensor(0.5, requires_grad=True)  # a learnable factor, so each halving is recorded
readout = nn.Linear(4, 1)


def inputs():
    return (torch.randn(1, 4) * 4,)


def forward(x):
    h = x
    while h.norm() > 1:  # a tensor's value decides whether to go round again
        h = h * shrink
    return readout(h).sum()
