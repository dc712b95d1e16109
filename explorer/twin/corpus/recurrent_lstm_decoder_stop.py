# family: recurrent
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

cell = nn.LSTMCell(3, 3)
emit = nn.Linear(3, 3)


def inputs():
    return (torch.randn(1, 3),)


def forward(start):
    x = start
    h = torch.zeros(1, 3)
    c = torch.zeros(1, 3)
    total = torch.zeros(())
    for step in range(6):  # greedy decoding with a stop signal
        h, c = cell(x, (h, c))
        x = torch.softmax(emit(h), dim=-1)
        total = total + x[0, 1]
        if x.argmax() == 2:
            break
    return total
