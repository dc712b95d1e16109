# family: ops
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

scorer = nn.Linear(3, 4)


def inputs():
    return (torch.randn(2, 3),)


def forward(x):
    scores = scorer(x)
    best = scores.argmax(dim=1, keepdim=True)
    chosen = scores.gather(1, best)
    if (best == 0).all():
        return chosen.sum()
    return chosen.sum() + scores.logsumexp(dim=1).sum()
