"""TorchScript, PyTorch's hybrid approach

The course presents TorchScript as PyTorch's way to get static-graph benefits without giving
up Python: torch.jit.script reads the source and compiles the loop and the `if` into prim::Loop
and prim::If ops with their blocks, while torch.jit.trace only records what one run did and warns
about it. TorchScript is deprecated today (torch.compile and torch.export replace it); pick
TorchScript under "PyTorch compiled" to see both front ends on this code.
"""
import torch
import torch.nn as nn

cell = nn.Linear(5, 5)


def inputs():
    return (torch.randn(1, 5),)


def forward(x):
    h = x
    for _ in range(3):  # a Python loop: script keeps it a loop, trace unrolls it
        h = torch.tanh(cell(h))
    if h.sum() > 0:  # script: prim::If with two blocks; trace: the arm this input took
        h = h * 2
    else:
        h = h / 2
    return h.sum()
