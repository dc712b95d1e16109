# family: layers
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

emb = nn.Embedding(8, 3)
out = nn.Linear(3, 1)


def inputs():
    return (torch.tensor([2, 5, 0, 7, 1]),)


def forward(tokens):
    h = torch.zeros(3)
    for token in tokens:
        if token == 0:  # the end-of-sentence token stops reading
            break
        h = torch.tanh(h + emb(token))
    return out(h).sum()
