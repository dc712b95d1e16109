# family: ops
# expect: equivalent
# dynamic: yes
import torch

w = torch.randn(6, requires_grad=True)


def inputs():
    return (torch.tensor([0.2, 1.5, -0.3, 0.8, 2.0, -1.0]),)


def forward(x):
    probs = torch.softmax(x * w, dim=0)
    ordered, _ = torch.sort(probs, descending=True)
    mass = torch.cumsum(ordered, dim=0)
    k = 1
    while mass[k - 1] < 0.8:  # nucleus: the fewest items holding 80% of the mass
        k += 1
    return ordered[:k].sum()
