"""When a gradient is worth a warning: thresholds shared by the engine and the drawing.

Imports no torch: the page (``render_flow``) reads the same thresholds the worker applied.
"""
from __future__ import annotations

import math

VANISHING = 1e-6   # a gradient norm below this barely moves a weight at any usual learning rate
EXPLODING = 1e3    # above this one SGD step throws a weight far from where it was
VALUES_LIMIT = 10_000  # gradients with at most this many elements come back with their values

FLAG_TEXT: dict[str, str] = {
    "nonfinite": "the gradient holds NaN or infinity",
    "vanishing": f"gradient norm below {VANISHING:g}: this path barely learns",
    "exploding": f"gradient norm above {EXPLODING:g}: a step along it overshoots",
}


def as_float(value: float | str | None) -> float | None:
    """A norm as the engine writes it to JSON ("nan" and "inf" are strings there) -> float."""
    return None if value is None else float(value)


def flag(norm: float | str | None) -> str | None:
    """The flag of a gradient norm (a key of FLAG_TEXT), or None: fine, or no gradient."""
    value = as_float(norm)
    if value is None:
        return None
    if not math.isfinite(value):
        return "nonfinite"
    if value < VANISHING:
        return "vanishing"
    return "exploding" if value > EXPLODING else None
