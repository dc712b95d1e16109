"""Error: backward through no graph

This forward runs a whole training step, loss and `backward()` included, but it computes the
prediction under `torch.no_grad()`, so autograd recorded nothing and the loss has no grad_fn.
Backward stops at once with "does not require grad and does not have a grad_fn": there is no
graph to walk back through. Moving the model call out of the no_grad block fixes it.
"""
import torch
import torch.nn as nn

# no twin: the PyTorch run fails first

model = nn.Linear(3, 1)


def inputs():
    return torch.randn(4, 3), torch.randn(4, 1)


def forward(x, target):
    with torch.no_grad():  # the bug: meant for evaluation, not for a training step
        prediction = model(x)
    loss = ((prediction - target) ** 2).mean()
    loss.backward()  # <- fails here
    return loss
