"""Recursion over a tree

The input is a parse tree of word ids, nested pairs whose shape the seed draws, and `encode`
calls itself once per branch, so the PyTorch graph has the shape of this tree: one
EmbeddingBackward0 per word, and a Cat, Addmm and Tanh merge per pair. The tree is Python data
rather than a tensor, so the tf.function twin unrolls the same recursion while tracing and
holds the same merges with no control-flow op; a tree of another shape needs a new trace.
"""
import torch
import torch.nn as nn

embed = nn.Embedding(10, 4)  # a vector of 4 numbers for each of 10 words
merge = nn.Linear(8, 4)      # two child vectors in, one parent vector out


def grow(depth):
    """A random tree: a word id, or a pair of subtrees."""
    if depth == 0 or torch.rand(1) < 0.4:
        return torch.randint(0, 10, (1,))
    return (grow(depth - 1), grow(depth - 1))


def inputs():
    return ((grow(2), grow(2)),)  # the root is always a pair


def encode(tree):
    if isinstance(tree, tuple):  # a pair: encode both children, then merge them
        left, right = tree
        return torch.tanh(merge(torch.cat([encode(left), encode(right)], dim=1)))
    return embed(tree)  # a word: look up its vector


def forward(tree):
    return encode(tree).sum()
