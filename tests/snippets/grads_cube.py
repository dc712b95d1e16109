import torch


class Cube(torch.autograd.Function):
    """x ** 3 with its own backward: 3 x^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


w = torch.randn(5, requires_grad=True)


def inputs():
    return (torch.randn(5),)


def forward(x):
    return Cube.apply(w * x).sum()
