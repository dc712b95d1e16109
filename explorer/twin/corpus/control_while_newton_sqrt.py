# family: control
# expect: equivalent
# dynamic: yes
import torch


def inputs():
    return (torch.tensor([2.0, 9.0, 0.5], requires_grad=True),)


def forward(a):
    y = a.clone()
    while ((y * y - a).abs() > 1e-4).any():  # Newton's method until every root is close
        y = 0.5 * (y + a / y)
    return y
