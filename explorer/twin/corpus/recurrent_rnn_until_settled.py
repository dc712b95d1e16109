# family: recurrent
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

rnn = nn.RNN(3, 3, batch_first=True)


def inputs():
    return (torch.randn(1, 4, 3),)


def forward(x):
    h = torch.zeros(1, 1, 3)
    rounds = 0
    change = torch.tensor(1.0)
    while change > 0.05 and rounds < 5:  # read the sequence again until the state settles
        output, new_h = rnn(x, h)
        change = (new_h - h).abs().max()
        h = new_h
        rounds += 1
    return h.sum()
