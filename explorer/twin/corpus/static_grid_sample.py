# family: static
# expect: no-twin outside_table
import torch
import torch.nn.functional as F

theta = torch.tensor([[[0.9, 0.1, 0.0], [-0.1, 0.9, 0.0]]], requires_grad=True)


def inputs():
    steps = torch.arange(5.0) / 2 - 1  # -1 .. 1, the corners of the image
    xs, ys = steps.repeat(5, 1), steps[:, None].repeat(1, 5)
    base = torch.stack([xs, ys, torch.ones(5, 5)], dim=-1)[None]  # homogeneous coordinates
    return (torch.randn(1, 1, 5, 5), base)


def forward(image, base):
    grid = base @ theta.transpose(1, 2)  # where each output pixel samples from
    warped = F.grid_sample(image, grid, align_corners=False)  # <- no twin
    return warped.sum()
