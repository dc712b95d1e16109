import torch

w = torch.randn(2, requires_grad=True)


def inputs():
    return ({"a": torch.randn(2, requires_grad=True), "b": [torch.randn(2)]},)


def forward(batch):
    return (batch["a"] * w + batch["b"][0]).sum()
