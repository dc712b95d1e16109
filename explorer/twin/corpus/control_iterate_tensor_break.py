# family: control
# expect: equivalent
# dynamic: yes
import torch

w = torch.randn(3, requires_grad=True)


def inputs():
    return (torch.randn(6, 3),)


def forward(rows):
    acc = torch.zeros(3)
    for row in rows:
        acc = acc + row * w
        if acc.sum() > 1.0:  # stop at the first row that tips the sum over
            break
    return acc.sum()
