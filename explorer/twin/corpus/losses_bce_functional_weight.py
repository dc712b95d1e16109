# family: losses
# expect: equivalent
import torch
import torch.nn.functional as F

w = torch.randn(3, requires_grad=True)


def inputs():
    x = torch.randn(7, 3)
    return (x, (x[:, 0] > 0).float(), torch.rand(7) + 0.5)


def forward(x, y, weight):
    logits = x @ w
    a = F.binary_cross_entropy_with_logits(logits, y, weight=weight)
    b = F.binary_cross_entropy(torch.sigmoid(logits), y, reduction="sum")
    return a + b + F.smooth_l1_loss(logits, y) + F.kl_div(
        F.log_softmax(logits, 0), F.softmax(y, 0), reduction="sum")
