import torch


class Cube(torch.autograd.Function):
    """x ** 3 with a backward that forgets the factor 3: autograd trusts it, finite
    differences do not."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x * x  # wrong on purpose: d(x^3)/dx is 3 x^2


w = torch.randn(5, requires_grad=True)


def inputs():
    return (torch.randn(5),)


def forward(x):
    return Cube.apply(w * x).sum()
