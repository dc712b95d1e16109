"""Dropout in train and eval mode

The same model runs twice: after `model.train()` its `if self.training` arm multiplies h by a
random mask, a MulBackward0 step between ReLU and the output layer (NativeDropoutBackward0 on a
GPU), and after `model.eval()` that arm is skipped, so the chain to `output_1` has no such
step. The tf.function twin settles `if self.training` while tracing, because it tests a Python
bool and not a tensor, so there is no If op: each call holds only the arm its mode took.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 6)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        h = torch.relu(self.hidden(x))
        if self.training:  # a Python bool: model.train() sets it, model.eval() clears it
            h = F.dropout(h, p=0.5)
        return self.out(h)


model = Net()


def inputs():
    return (torch.randn(3, 4),)


def forward(x):
    model.train()
    noisy = model(x).sum()  # training mode: half of h is zeroed, the rest doubled
    model.eval()
    clean = model(x).sum()  # evaluation mode: h passes through untouched
    return noisy, clean
