"""In-place operations

Each in-place change to h is recorded as a new step on top of the last: `add_` and `mul_` as
AddBackward0 and MulBackward0, and the slice assignment as CopySlices, which sends the gradient
of the written column nowhere and the rest on to the step before. Autograd allows this because
Mul saved x and w, not h; every in-place op bumps h's version counter, and backward refuses a
saved tensor whose version moved. The tf.function twin has no in-place ops: each one becomes a
new tensor, so its graph is an ordinary chain.
"""
import torch

w = torch.randn(4, requires_grad=True)


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    h = x * w        # a new tensor: h._version is 0
    h.add_(1.0)      # in place: version 1
    h[:, 0] = 0.0    # write one column: version 2
    h.mul_(2.0)      # version 3
    # Not allowed: w.add_(1.0) (w is a leaf that requires grad), or
    # s = torch.exp(h); s.mul_(2.0) (exp saved s for backward; backward would refuse it).
    return h.sum()
