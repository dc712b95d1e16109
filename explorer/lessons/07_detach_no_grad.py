"""requires_grad, detach and no_grad

Four encoders feed one head, and three are cut off from the graph in three ways: `frozen` has
requires_grad switched off, `.detach()` hands back a tensor with no history, and nothing under
`torch.no_grad()` is recorded. The graph keeps only `trained` and `head`, joined by three
AddBackward0 steps whose other operand comes from nowhere, so only those two layers get a
`.grad`, though all four branches change the output. There is no twin: the translation leaves
out torch.no_grad(), for which TensorFlow would need a tf.stop_gradient on each result.
"""
import torch
import torch.nn as nn

trained = nn.Linear(4, 4)
frozen = nn.Linear(4, 4).requires_grad_(False)  # its parameters are data, not leaves to train
detached = nn.Linear(4, 4)
unrecorded = nn.Linear(4, 4)
head = nn.Linear(4, 1)

# no twin: torch.no_grad() pauses autograd's recording for a block; the twin does not translate it


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    a = trained(x)
    b = frozen(x)            # computed, but from tensors that need no gradient: no grad_fn
    c = detached(x).detach()  # recorded, then cut: c is a new leaf without history
    with torch.no_grad():
        d = unrecorded(x)    # nothing inside this block is recorded
    return head(a + b + c + d).sum()
