"""The training presets: each a snippet-style model (text, so the twin can translate it) and
the name of the data set it learns, with the hyperparameters it learns well with.

The model code follows the snippet contract (DESIGN.md): module level builds the layers,
``inputs()`` returns an example batch, ``forward`` returns the logits of a batch. The loss
(cross entropy) and the loop belong to the trainer, as in the lessons' training loop. Pure:
imports neither torch nor TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SNIPPET = "snippet"  # the preset name of "your snippet from the Explorer page"


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    text: str                                    # what to look at, for the page
    code: str                                    # the model, as a snippet
    data: str                                    # a data set of explorer.training.data
    defaults: dict = field(default_factory=dict)  # TrainConfig fields this preset prefers
    batch_dependent: bool = False  # forward's graph depends on the whole batch's values


MLP_SPIRALS = '''import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(2, 64), nn.Tanh(),
    nn.Linear(64, 64), nn.Tanh(),
    nn.Linear(64, 2),
)


def inputs():
    return (torch.randn(8, 2),)  # a batch of 8 points (x, y)


def forward(x):
    return model(x)  # the logits of the two classes
'''

MLP_MOONS = '''import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(2, 16), nn.ReLU(),
    nn.Linear(16, 16), nn.ReLU(),
    nn.Linear(16, 2),
)


def inputs():
    return (torch.randn(8, 2),)  # a batch of 8 points (x, y)


def forward(x):
    return model(x)  # the logits of the two classes
'''

DEPTH = '''import torch
import torch.nn as nn

embed = nn.Linear(2, 16)
linear_layer = nn.Linear(16, 16)  # the lesson's layer: applied once or twice
head = nn.Linear(16, 2)


def inputs():
    return (torch.randn(32, 2),)  # a batch of 32 points (x, y)


def forward(x):
    h = torch.tanh(embed(x))
    if x.sum() > 0:  # the data of this batch decides how deep the graph is
        h = torch.tanh(linear_layer(h))
    else:
        h = torch.tanh(linear_layer(torch.tanh(linear_layer(h))))
    return head(h)
'''

RNN = '''import torch
import torch.nn as nn

cell = nn.RNNCell(1, 32)
head = nn.Linear(32, 2)


def inputs():
    x = torch.randn(4, 20, 1)  # 4 sequences padded to 20 steps of one number
    return x, torch.tensor([20, 5, 9, 13])  # and their true lengths


def forward(x, lengths):
    h = torch.zeros(x.shape[0], 32, device=x.device)  # on the input's device, CPU or GPU
    for t in range(lengths.max()):  # as many steps as this batch's longest sequence
        h_next = cell(x[:, t], h)
        h = torch.where((lengths > t).unsqueeze(1), h_next, h)  # ended sequences keep h
    return head(h)
'''

MLP_DIGITS = '''import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(64, 64), nn.ReLU(),
    nn.Dropout(0.1),  # active in train mode only
    nn.Linear(64, 10),
)


def inputs():
    return (torch.rand(8, 64),)  # a batch of 8 images of 8x8 pixels, flattened


def forward(x):
    return model(x)  # the logits of the ten digits
'''

PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("spirals", "Two spirals (an MLP)",
           "Two interleaved spirals of 2-D points: a two-layer tanh MLP has to bend its "
           "decision boundary around both arms. Watch the boundary wind up as the loss falls.",
           MLP_SPIRALS, "spirals",
           {"optimizer": "adam", "lr": 0.02, "batch_size": 128, "steps": 400}),
    Preset("moons", "Two moons (a small MLP)",
           "Two interlocking half circles: a small ReLU MLP separates them with a curved "
           "boundary within a few hundred steps.",
           MLP_MOONS, "moons",
           {"optimizer": "adam", "lr": 0.01, "batch_size": 64, "steps": 300}),
    Preset("depth", "Depth chosen by the data (the lesson's if)",
           "The lesson's network: `if x.sum() > 0` applies the layer once, else twice, so each "
           "batch picks the depth of its own graph. PyTorch records the arm that ran; the "
           "tf.function twin holds both arms in one If op. Predictions are made batch by "
           "batch, so the boundary shows where the two depths disagree.",
           DEPTH, "circles",
           {"optimizer": "adam", "lr": 0.01, "batch_size": 64, "steps": 400},
           batch_dependent=True),
    Preset("sequences", "Variable-length sequences (an RNN)",
           "Noisy waves of 4 to 20 steps, slow or fast: one RNN cell reads each batch for as "
           "many steps as its longest sequence (a Python loop in PyTorch, a While op in the "
           "twin) and classifies the frequency.",
           RNN, "sequences",
           {"optimizer": "adam", "lr": 0.01, "batch_size": 64, "steps": 300}),
    Preset("digits", "Handwritten digits (8x8 images)",
           "1,797 images of 8x8 pixels from scikit-learn's bundled digits data set, ten "
           "classes. The MLP has dropout: in train mode torch and TensorFlow draw different "
           "random masks, so their curves differ by that noise; eval mode makes them agree.",
           MLP_DIGITS, "digits",
           {"optimizer": "adam", "lr": 0.005, "batch_size": 64, "steps": 300}),
]}

SNIPPET_DEFAULTS = {"optimizer": "sgd", "lr": 0.01, "batch_size": 1, "steps": 100}
SNIPPET_TEXT = ("The code on the Explorer page, trained as it is: its parameters move to "
                "make what forward returns smaller (the sum, if it is not a scalar), with "
                "inputs() as fixed data. A loss only: there are no labels, so no accuracy.")


def names() -> list[str]:
    return list(PRESETS)


def get(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"no preset {name!r}; presets: {', '.join(PRESETS)}, "
                       f"or {SNIPPET!r} with code") from None


def defaults(name: str) -> dict:
    """The hyperparameters preset ``name`` (or the snippet) starts from."""
    return dict(SNIPPET_DEFAULTS if name == SNIPPET else get(name).defaults)
