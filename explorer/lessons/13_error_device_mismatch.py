"""Error: model and data on different devices

`model.to(device)` moves the parameters, but the data from `inputs()` stays on the CPU, so the
first layer meets a weight on one device and an input on another and stops forward there. On a
machine without a GPU the model goes to the "meta" device instead, which makes the same mistake
happen everywhere. The fix is to move the data too, `x = x.to(device)`, before the model sees it.
"""
import torch
import torch.nn as nn

# no twin: the PyTorch run fails first

# "meta" is a device that holds shapes but no data: here it stands in for a GPU.
device = "cuda" if torch.cuda.is_available() else "meta"

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)


def inputs():
    return (torch.randn(2, 4),)  # made on the CPU, and never moved


def forward(x):
    return model(x).sum()  # <- fails here
