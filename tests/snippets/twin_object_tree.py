"""Inputs as a tree of objects of the snippet's own class: recursion over Python data."""
import torch
import torch.nn as nn

combine = nn.Linear(8, 4)


class Node:
    def __init__(self, value, children=()):
        self.value = value
        self.children = list(children)


def inputs():
    leaf = lambda: Node(torch.randn(1, 4))
    return (Node(torch.randn(1, 4), [leaf(), Node(torch.randn(1, 4), [leaf(), leaf()])]),)


def encode(node):
    h = node.value
    for child in node.children:  # a Python list: unrolled while tracing
        h = torch.tanh(combine(torch.cat([h, encode(child)], dim=1)))
    return h


def forward(tree):
    return encode(tree).sum()
