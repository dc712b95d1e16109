# family: layers
# expect: equivalent
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(5, 12),
    nn.ReLU(),
    nn.Dropout(0.2),
    nn.Linear(12, 12),
    nn.Tanh(),
    nn.Dropout(0.2),
    nn.Linear(12, 1),
)
model.eval()


def inputs():
    return (torch.randn(6, 5),)


def forward(x):
    return model(x).squeeze(1)
