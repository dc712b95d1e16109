"""torch.compile and its graph breaks

Eager PyTorch runs each line as Python reaches it; torch.compile records the tensor work into
FX graphs instead, and where an `if` needs a tensor's value it must stop, run the `if` in
Python and start a new graph. Open "PyTorch compiled" and pick torch.compile: two graphs here
(up to the test, then the arm this input took) with the break between them at the `if`, and the
"Compare inputs" seeds that take the other arm make it capture one more graph.
"""
import torch
import torch.nn as nn

encoder = nn.Linear(6, 6)
head = nn.Linear(6, 1)


def inputs():
    return (torch.randn(2, 6),)


def forward(x):
    h = encoder(x)
    if h.mean() > 0:  # Python needs this value: the compiled graph ends here
        h = torch.tanh(h)
    else:
        h = torch.sigmoid(h)
    return head(h).sum()
