# family: recurrent
# expect: equivalent
import torch
import torch.nn as nn

emb = nn.Embedding(10, 4)
lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
tagger = nn.Linear(6, 5)


def inputs():
    return (torch.tensor([[1, 5, 2, 8], [3, 3, 0, 9]]), torch.tensor([[0, 1, 2, 3], [4, 0, 1, 1]]))


def forward(tokens, tags):
    output, _ = lstm(emb(tokens))
    scores = tagger(output)
    return nn.functional.cross_entropy(scores.reshape(-1, 5), tags.reshape(-1))
