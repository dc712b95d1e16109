"""Sequences of different lengths

One recurrent cell reads each sequence a step at a time, and PyTorch records one tanh step per
element, so the longer sequence makes the deeper chain; another seed draws other lengths and
the picture changes with them. The tf.function twin unrolls the Python list of sequences but
turns each loop over a sequence into a While op whose body holds one step, so its graph does
not depend on how long the sequences are.
"""
import torch
import torch.nn as nn

cell = nn.Linear(4, 4)


def inputs():
    lengths = torch.randint(1, 6, (2,))  # two lengths from 1 to 5, drawn by the seed
    return ([torch.randn(int(n), 1, 4) for n in lengths],)  # n steps of one row of 4 numbers


def read(sequence):
    h = torch.zeros_like(sequence[0])  # on the sequence's device: CPU or GPU alike
    for x_t in sequence:  # one step per row: the loop runs as often as the sequence is long
        h = torch.tanh(cell(x_t) + h)
    return h


def forward(sequences):
    return tuple(read(sequence).sum() for sequence in sequences)
