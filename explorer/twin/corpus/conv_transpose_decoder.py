# family: conv
# expect: equivalent
import torch
import torch.nn as nn

decoder = nn.Sequential(
    nn.Linear(4, 2 * 3 * 3),
    nn.Unflatten(1, (2, 3, 3)),
    nn.ConvTranspose2d(2, 3, kernel_size=3, stride=2, padding=1, output_padding=1),
    nn.Sigmoid(),
)


def inputs():
    return (torch.randn(2, 4),)


def forward(z):
    image = decoder(z)
    return ((image - 0.5) ** 2).sum()
