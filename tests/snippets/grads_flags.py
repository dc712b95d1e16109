import torch

tiny = torch.ones(4, requires_grad=True)
huge = torch.ones(4, requires_grad=True)


def inputs():
    return (torch.ones(4),)


def forward(x):
    # d/d tiny = 1e-9 per element (norm 2e-9): vanishing; d/d huge = 1e4 (norm 2e4): exploding
    return 1e-9 * (tiny * x).sum() + 1e4 * (huge * x).sum()
