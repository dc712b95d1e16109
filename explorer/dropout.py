"""Train-mode dropout in a PyTorch run: seen (did it draw random masks?) or made the
identity (for the twin check, since TensorFlow cannot reproduce torch's random masks).

One table of every place torch drops units at random: the functional forms (which
``nn.Dropout*`` modules, ``MultiheadAttention`` and the transformer layers call) and the
recurrent modules, whose dropout between layers runs inside one C++ call.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

# (owner, function) -> (the name of its probability argument, its position, default; the
# name of its training flag, its position, default)
FUNCTIONS: dict[tuple[Any, str], tuple[str, int, float, str | None, int, bool]] = {
    (F, "dropout"): ("p", 1, 0.5, "training", 2, True),
    (F, "dropout1d"): ("p", 1, 0.5, "training", 2, True),
    (F, "dropout2d"): ("p", 1, 0.5, "training", 2, True),
    (F, "dropout3d"): ("p", 1, 0.5, "training", 2, True),
    (F, "alpha_dropout"): ("p", 1, 0.5, "training", 2, False),
    (F, "feature_alpha_dropout"): ("p", 1, 0.5, "training", 2, False),
    (F, "scaled_dot_product_attention"): ("dropout_p", 4, 0.0, None, 0, True),
    (torch, "dropout"): ("p", 1, 0.5, "train", 2, True),
    (torch, "feature_dropout"): ("p", 1, 0.5, "train", 2, True),
    (torch, "alpha_dropout"): ("p", 1, 0.5, "train", 2, True),
    (torch, "feature_alpha_dropout"): ("p", 1, 0.5, "train", 2, True),
}
RECURRENT = (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU)  # dropout between stacked layers


@dataclass
class Seen:
    """Whether a run dropped units at random (train-mode dropout with p > 0)."""

    ran: bool = False


def _argument(args: tuple, kwargs: dict, name: str, position: int, default: Any) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _functional(original: Callable, spec: tuple, seen: Seen, identity: bool) -> Callable:
    p_name, p_pos, p_default, t_name, t_pos, t_default = spec

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        p = _argument(args, kwargs, p_name, p_pos, p_default)
        training = _argument(args, kwargs, t_name, t_pos, t_default) if t_name else True
        if not (training and p):
            return original(*args, **kwargs)
        seen.ran = True
        if not identity:
            return original(*args, **kwargs)
        if t_name is None:  # attention: the same product without dropping weights
            if len(args) > p_pos:
                args = args[:p_pos] + (0.0,) + args[p_pos + 1:]
            else:
                kwargs = {**kwargs, p_name: 0.0}
            return original(*args, **kwargs)
        return args[0] if args else kwargs["input"]
    return wrapper


def _recurrent(original: Callable, seen: Seen, identity: bool) -> Callable:
    @functools.wraps(original)
    def forward(self: torch.nn.RNNBase, *args: Any, **kwargs: Any) -> Any:
        if not (self.training and self.dropout and self.num_layers > 1):
            return original(self, *args, **kwargs)
        seen.ran = True
        if not identity:
            return original(self, *args, **kwargs)
        kept, self.dropout = self.dropout, 0.0
        try:
            return original(self, *args, **kwargs)
        finally:
            self.dropout = kept
    return forward


@contextlib.contextmanager
def _patched(identity: bool) -> Iterator[Seen]:
    seen = Seen()
    originals = {key: getattr(*key) for key in FUNCTIONS}
    forwards = {cls: cls.forward for cls in RECURRENT}
    for (owner, name), original in originals.items():
        setattr(owner, name, _functional(original, FUNCTIONS[owner, name], seen, identity))
    for cls, original in forwards.items():
        cls.forward = _recurrent(original, seen, identity)
    try:
        yield seen
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)
        for cls, original in forwards.items():
            cls.forward = original


def watch() -> contextlib.AbstractContextManager[Seen]:
    """Dropout runs as usual; ``seen.ran`` says whether it drew random masks."""
    return _patched(identity=False)


def as_identity() -> contextlib.AbstractContextManager[Seen]:
    """Train-mode dropout keeps every unit (as p=0), and says it ran."""
    return _patched(identity=True)
