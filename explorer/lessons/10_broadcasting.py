"""Broadcasting

Shapes line up from the right and a dimension of size 1, or a missing one, stretches: x of
shape (3, 1, 4) times scale (2, 4) makes a MulBackward0 of shape (3, 2, 4), which neither
operand had, and the row mean kept as (3, 2, 1) by keepdim=True stretches back the same way
in SubBackward0. Backward undoes each stretch by summing, so every leaf's gradient comes back
in the leaf's own shape, (2, 4) for scale and (4) for bias. The tf.function twin's ops
broadcast by the same rules, so its shapes agree with these.
"""
import torch

scale = torch.randn(2, 4, requires_grad=True)
bias = torch.zeros(4, requires_grad=True)


def inputs():
    return (torch.randn(3, 1, 4),)


def forward(x):
    y = x * scale + bias                       # (3, 1, 4) * (2, 4) + (4) -> (3, 2, 4)
    centred = y - y.mean(dim=-1, keepdim=True)  # (3, 2, 4) - (3, 2, 1) -> (3, 2, 4)
    return (centred ** 2).sum()
