import torch

w = torch.tensor([0.5, 0.25], requires_grad=True)


def inputs():
    return (torch.tensor([8.0, 8.0]),)


def forward(x):
    h = x * w
    while h.sum() > 1:          # 6.0 -> 3.0 -> 1.5 -> 0.75: three halvings
        h = h * 0.5
    return h.sum()
