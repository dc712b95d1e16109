"""A break on a tensor condition in a loop over a ModuleList: a guard flag, an If per step."""
import torch
import torch.nn as nn

LIMIT = 1.5  # the norm at which the loop stops early


class Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(4)])

    def forward(self, x):
        for layer in self.layers:
            x = torch.tanh(layer(x)) * 2
            if x.norm() > LIMIT:
                break
        return x.sum()


net = Deep()


def inputs():
    return (torch.randn(2, 4),)


def forward(x):
    return net(x)
