# family: activations
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

fc = nn.Linear(3, 3)
act = nn.Hardtanh(-1.0, 1.0)


def inputs():
    return (torch.randn(2, 3) * 3,)


def forward(x):
    h = fc(x)
    for i in range(3):
        if (h.abs() >= 1.0).any():  # saturated units left: squash again
            h = act(h) * 0.9 + nn.functional.silu(h) * 0.1
    return h.sum()
