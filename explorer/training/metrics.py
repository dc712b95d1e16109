"""What a record says about a run, from plain numbers: the mean loss of the steps since the
last record, gradient norms per layer, a decision-boundary grid, accuracy on a data set.
Both frameworks' trainers hand over plain numbers or arrays, so one piece of code measures
them both."""
from __future__ import annotations

import math

import numpy as np

GRID = 32          # a boundary grid is GRID x GRID points
NORM_DIGITS = 6    # significant digits of a gradient norm on the wire


def layer_of(path: str) -> str:
    """The layer a parameter belongs to: ``model.0.weight`` -> ``model.0``; a bare tensor
    (``w``) is its own layer."""
    owner, dot, _ = path.rpartition(".")
    return owner if dot else path


def layers(paths: list[str]) -> dict[str, list[int]]:
    """Layer -> positions of its parameters in ``paths``, in order of first appearance."""
    out: dict[str, list[int]] = {}
    for i, path in enumerate(paths):
        out.setdefault(layer_of(path), []).append(i)
    return out


def significant(x: float, digits: int = NORM_DIGITS) -> float | None:
    """``x`` rounded to ``digits`` significant digits; None for NaN or infinity (JSON)."""
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def number(x: float) -> float | None:
    """A float for JSON, None where it is not finite."""
    return float(x) if math.isfinite(x) else None


def norms_by_layer(norms: list[float], groups: dict[str, list[int]]) -> dict[str, float | None]:
    """Each layer's gradient norm: the 2-norm of its parameters' gradient norms."""
    return {layer: significant(math.sqrt(math.fsum(norms[i] ** 2 for i in idx)))
            for layer, idx in groups.items()}


def total_norm(norms: list[float]) -> float | None:
    return significant(math.sqrt(math.fsum(x ** 2 for x in norms)))


def correct(logits: np.ndarray, labels: np.ndarray) -> int:
    """How many rows of ``logits`` put their largest value on the label."""
    return int(np.sum(np.argmax(logits, axis=-1) == labels))


def mean(values: list[float]) -> float | None:
    """The mean of a window's losses, None when it is not finite (JSON)."""
    return number(math.fsum(values) / len(values)) if values else None


def grid_points(box: list[float], size: int = GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The x and y ticks of a size x size grid over ``box`` and its points, row by row."""
    xs = np.linspace(box[0], box[1], size, dtype=np.float32)
    ys = np.linspace(box[2], box[3], size, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def softmax_class1(logits: np.ndarray) -> np.ndarray:
    """P(class 1) of two-class logits, computed stably."""
    z = logits.astype(np.float64)
    return 1.0 / (1.0 + np.exp(np.clip(z[:, 0] - z[:, 1], -60, 60)))


def boundary_record(framework: str, step: int, xs: np.ndarray, ys: np.ndarray,
                    logits: np.ndarray) -> dict:
    """A boundary grid thinned for the wire: P(class 1) on the grid in whole percent
    (integers: a third of the bytes of floats, and quicker to encode)."""
    p = np.nan_to_num(softmax_class1(logits), nan=0.5)  # a diverged model: no side
    z = np.rint(p.reshape(len(ys), len(xs)) * 100).astype(int)
    return {"kind": "boundary", "framework": framework, "step": step,
            "x": np.round(xs, 4).tolist(), "y": np.round(ys, 4).tolist(), "z": z.tolist()}
