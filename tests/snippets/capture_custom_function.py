import torch


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


w = torch.randn(3, requires_grad=True)


def inputs():
    return (torch.randn(3),)


def forward(x):
    return Square.apply(x + w).sum()
