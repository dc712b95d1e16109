# family: losses
# expect: equivalent
import torch
import torch.nn as nn
import torch.nn.functional as F

student = nn.Linear(4, 3)
teacher = nn.Linear(4, 3)
teacher.requires_grad_(False)
kl = nn.KLDivLoss(reduction="batchmean")


def inputs():
    return (torch.randn(6, 4),)


def forward(x):
    temperature = 2.0
    log_p = F.log_softmax(student(x) / temperature, dim=1)
    q = F.softmax(teacher(x) / temperature, dim=1)
    return kl(log_p, q) * temperature ** 2
