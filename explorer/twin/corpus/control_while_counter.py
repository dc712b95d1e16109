# family: control
# expect: equivalent
# dynamic: yes
import torch

w = torch.tensor([0.3, 0.6], requires_grad=True)


def inputs():
    return (torch.tensor([0.5, 1.0]),)


def forward(x):
    h = x
    n = torch.tensor(0)
    while h.sum() < 5.0 and n < 10:
        h = h + h * w
        n += 1
    return h.sum() * n
