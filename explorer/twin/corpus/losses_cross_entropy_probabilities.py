# family: losses
# expect: equivalent
import torch
import torch.nn.functional as F

weights = torch.randn(4, 3, requires_grad=True)


def inputs():
    soft = torch.softmax(torch.randn(5, 3), dim=1)
    return (torch.randn(5, 4), soft)


def forward(x, soft_targets):
    logits = x @ weights
    return F.cross_entropy(logits, soft_targets) + F.cross_entropy(logits, soft_targets,
                                                                   reduction="sum")
