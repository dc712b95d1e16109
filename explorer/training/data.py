"""The presets' data sets, made in code from a seeded generator or shipped in a package (no
download at run time), and the batch order both frameworks follow.

A data set is fixed for its preset (data seed 0): a run's seed changes the initial weights and
the batch order, not the data, so runs of one preset are comparable."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DATA_SEED = 0
PLANE_SAMPLE = 400  # points of a 2-D data set sent to the page to draw


@dataclass(frozen=True)
class DataSet:
    name: str
    inputs: tuple[np.ndarray, ...]  # forward's arguments, one row per example
    labels: np.ndarray              # int64 class of each example
    classes: int
    plane: bool                     # 2-D points: a decision boundary can be drawn
    description: str

    def __len__(self) -> int:
        return len(self.labels)

    def summary(self) -> dict:
        """What the page shows of the data: size, classes, and for 2-D data a sample."""
        out = {"name": self.name, "examples": len(self), "classes": self.classes,
               "plane": self.plane, "description": self.description}
        if self.plane:
            points = self.inputs[0]
            pick = np.random.default_rng(DATA_SEED).permutation(len(self))[:PLANE_SAMPLE]
            out["points"] = np.round(points[pick], 3).tolist()
            out["point_labels"] = self.labels[pick].tolist()
            out["bounds"] = bounds(points)
        return out


def bounds(points: np.ndarray, margin: float = 0.15) -> list[float]:
    """[x0, x1, y0, y1] around the points, with a margin for the boundary plot."""
    low, high = points.min(axis=0), points.max(axis=0)
    pad = (high - low) * margin
    return [float(low[0] - pad[0]), float(high[0] + pad[0]),
            float(low[1] - pad[1]), float(high[1] + pad[1])]


def _plane(name: str, points: np.ndarray, labels: np.ndarray, description: str) -> DataSet:
    order = np.random.default_rng(DATA_SEED + 1).permutation(len(labels))
    return DataSet(name, (points[order].astype(np.float32),), labels[order].astype(np.int64),
                   2, True, description)


def spirals(n: int = 1000, turns: float = 1.75, noise: float = 0.04) -> DataSet:
    """Two interleaved spirals; class 1 is class 0 turned half a turn."""
    rng = np.random.default_rng(DATA_SEED)
    per = n // 2
    t = np.sqrt(rng.uniform(0.02, 1.0, per)) * turns * 2 * np.pi  # even density along the arm
    radius = t / (turns * 2 * np.pi)
    arm = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)
    points = np.concatenate([arm, -arm]) + rng.normal(0, noise, (2 * per, 2))
    labels = np.repeat([0, 1], per)
    return _plane("spirals", points, labels, f"{2 * per} points on two spirals of "
                  f"{turns:g} turns")


def moons(n: int = 600, noise: float = 0.12) -> DataSet:
    """Two interlocking half circles."""
    rng = np.random.default_rng(DATA_SEED)
    per = n // 2
    angle = rng.uniform(0, np.pi, (2, per))
    upper = np.stack([np.cos(angle[0]), np.sin(angle[0])], axis=1)
    lower = np.stack([1 - np.cos(angle[1]), 0.5 - np.sin(angle[1])], axis=1)
    points = np.concatenate([upper, lower]) + rng.normal(0, noise, (2 * per, 2))
    points = (points - [0.5, 0.25]) / 1.2
    return _plane("moons", points, np.repeat([0, 1], per), f"{2 * per} points on two moons")


def circles(n: int = 800, noise: float = 0.08) -> DataSet:
    """A disc of one class inside a ring of the other."""
    rng = np.random.default_rng(DATA_SEED)
    per = n // 2
    radius = np.concatenate([rng.uniform(0.0, 0.45, per), rng.uniform(0.7, 1.0, per)])
    angle = rng.uniform(0, 2 * np.pi, 2 * per)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    points += rng.normal(0, noise, points.shape)
    return _plane("circles", points, np.repeat([0, 1], per),
                  f"{2 * per} points: a disc inside a ring")


def sequences(n: int = 1000, shortest: int = 4, longest: int = 20) -> DataSet:
    """Noisy sine waves of random length and phase, slow (class 0) or fast (class 1),
    zero-padded to ``longest`` steps, with their lengths as forward's second argument."""
    rng = np.random.default_rng(DATA_SEED)
    labels = rng.integers(0, 2, n)
    lengths = rng.integers(shortest, longest + 1, n)
    cycles = np.where(labels == 0, rng.uniform(0.04, 0.09, n), rng.uniform(0.16, 0.25, n))
    phase = rng.uniform(0, 2 * np.pi, n)
    steps = np.arange(longest)
    waves = np.sin(2 * np.pi * cycles[:, None] * steps + phase[:, None])
    waves += rng.normal(0, 0.1, waves.shape)
    waves[steps[None, :] >= lengths[:, None]] = 0.0  # padding past each sequence's end
    return DataSet("sequences", (waves[:, :, None].astype(np.float32), lengths.astype(np.int64)),
                   labels.astype(np.int64), 2, False,
                   f"{n} waves of {shortest} to {longest} steps, slow or fast")


def digits() -> DataSet:
    """scikit-learn's bundled 8x8 digits (1,797 images; read from the wheel, no download)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return DataSet("digits", ((data.data / 16.0).astype(np.float32),),
                   data.target.astype(np.int64), 10, False,
                   f"{len(data.target):,} handwritten digits, 8x8 pixels (scikit-learn)")


BUILDERS = {"spirals": spirals, "moons": moons, "circles": circles, "sequences": sequences,
            "digits": digits}


def build(name: str) -> DataSet:
    return BUILDERS[name]()


class Batches:
    """Which examples each step trains on: every epoch a fresh permutation of the data seeded
    by (seed, epoch), cut into full batches (the rest of an epoch is dropped, so every batch
    has one shape and tf.function traces once). Both frameworks ask for the same steps and
    get the same batches in the same order."""

    def __init__(self, examples: int, batch_size: int, seed: int) -> None:
        self.examples, self.seed = examples, seed
        self.batch_size = min(batch_size, examples)
        self.per_epoch = examples // self.batch_size
        self._epoch, self._order = -1, np.empty(0, np.int64)

    def __call__(self, step: int) -> np.ndarray:
        epoch, k = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._epoch, self._order = epoch, rng.permutation(self.examples)
        return self._order[k * self.batch_size:(k + 1) * self.batch_size]
