# family: attention
# expect: equivalent
# dynamic: yes
import torch

wq = torch.randn(3, 3, requires_grad=True)


def inputs():
    return (torch.randn(4, 3),)


def forward(x):
    temperature = torch.tensor(1.0)
    weights = torch.softmax(x @ wq @ x.T / temperature, dim=-1)
    while weights.max(dim=-1).values.mean() < 0.9 and temperature > 0.05:
        temperature = temperature / 2  # sharpen until each row attends to one item
        weights = torch.softmax(x @ wq @ x.T / temperature, dim=-1)
    return (weights @ x).sum()
