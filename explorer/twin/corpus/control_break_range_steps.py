# family: control
# expect: equivalent
# dynamic: yes
import torch
import torch.nn as nn

policy = nn.Linear(2, 2)


def inputs():
    return (torch.randn(1, 2),)


def forward(state):
    total = torch.zeros(())
    for t in range(8):
        state = torch.tanh(policy(state))
        total = total + state.sum()
        if state[0, 0] > 0.5:  # the episode ends when the first unit fires
            break
    return total
