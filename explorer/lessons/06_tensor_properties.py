"""Tensors, grad_fn and leaves

A blue box is a leaf you made with requires_grad=True: it has no grad_fn, and backward leaves
its gradient in `.grad`. Each grey box is the grad_fn of a tensor an operation produced (w * x
gives MulBackward0), labelled with that tensor's shape; the input x needs no gradient, so it
hangs off a dashed edge only because Mul saved it for backward, and `offset` is not drawn at
all. The tf.function twin has no grad_fn: its boxes are the forward ops Mul, Pow, AddV2 and
Mean, and TensorFlow derives gradients from them only when asked.
"""
import torch

w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)  # a leaf: w.grad_fn is None
offset = torch.ones(2, 2)  # requires_grad=False: no gradient needed


def inputs():
    return (torch.randn(2, 2),)  # data: float32 on the cpu, requires_grad=False


def forward(x):
    y = w * x            # y.grad_fn is a MulBackward0; y.is_leaf is False
    z = y ** 2 + offset  # PowBackward0, then AddBackward0
    return z.mean()      # MeanBackward0: the root of the graph
