"""Gradient summaries as JSON: shape, min, max, mean, norm, and the values when small.

Statistics are computed where the gradient lives and gathered into one batch, so a graph of
thousands of nodes on a GPU costs one device-to-host copy, not four per node.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from explorer.gradients.flags import VALUES_LIMIT

STATS = ("min", "max", "mean", "norm")


def json_number(value: float) -> float | str:
    """JSON has no NaN or infinity: spell them as strings, as the graph JSON does."""
    return value if math.isfinite(value) else str(value)


def _real(g: torch.Tensor) -> torch.Tensor:
    """A gradient as a dense real tensor of at least float32 precision (half sums overflow);
    complex gradients by magnitude, sparse ones (``nn.Embedding(sparse=True)``) made dense."""
    g = g.detach()
    if g.layout != torch.strided:
        g = g.to_dense()
    if g.is_complex():
        g = g.abs()
    return g if g.dtype in (torch.float32, torch.float64) else g.float()


def stat_vector(g: torch.Tensor) -> torch.Tensor:
    """``[min, max, mean, norm]`` of ``g`` as a float64 tensor on ``g``'s device."""
    x = _real(g)
    if x.numel() == 0:
        return torch.full((len(STATS),), math.nan, dtype=torch.float64, device=x.device)
    lo, hi = torch.aminmax(x)
    return torch.stack([lo, hi, x.mean(), torch.linalg.vector_norm(x)]).to(torch.float64)


def nested_values(t: torch.Tensor) -> Any:
    """``t.tolist()`` with NaN and infinity spelled as strings (JSON-safe)."""
    x = _real(t).cpu()
    if bool(torch.isfinite(x).all()):
        return x.tolist()
    flat: list[Any] = [json_number(v) for v in x.reshape(-1).tolist()]
    for size in reversed(x.shape[1:]):  # regroup the innermost dimension first
        flat = [flat[i:i + size] for i in range(0, len(flat), size)]
    return flat[0] if x.dim() == 0 else flat


class StatBatch:
    """Summaries requested during backward, resolved together once backward is over."""

    def __init__(self) -> None:
        self._vectors: list[torch.Tensor] = []
        self._meta: list[dict] = []
        self._values: dict[int, torch.Tensor] = {}

    def add(self, g: torch.Tensor, with_values: bool = False) -> int:
        """Queue ``g``; returns the index of its summary in ``resolve()``."""
        index = len(self._vectors)
        self._vectors.append(stat_vector(g))
        self._meta.append({"shape": list(g.shape), "dtype": str(g.dtype).removeprefix("torch."),
                           "numel": g.numel()})
        if with_values and g.numel() <= VALUES_LIMIT:
            self._values[index] = g.detach()
        return index

    def resolve(self) -> list[dict]:
        if not self._vectors:
            return []
        # One copy per device (a snippet may mix CPU and GPU tensors).
        host: list[list[float]] = [[]] * len(self._vectors)
        by_device: dict[torch.device, list[int]] = {}
        for i, v in enumerate(self._vectors):
            by_device.setdefault(v.device, []).append(i)
        for indices in by_device.values():
            rows = torch.stack([self._vectors[i] for i in indices]).tolist()
            for i, row in zip(indices, rows):
                host[i] = row
        out = []
        for i, (meta, row) in enumerate(zip(self._meta, host)):
            stats = {name: (json_number(v) if meta["numel"] else None)
                     for name, v in zip(STATS, row)}
            summary = {**meta, **stats}
            if i in self._values:
                summary["values"] = nested_values(self._values[i])
            out.append(summary)
        return out


def norm_of(parts: list[float | str | None]) -> float | str | None:
    """The norm of several gradients taken together: sqrt of the sum of their squared norms."""
    known = [float(p) for p in parts if p is not None]
    if not known:
        return None
    return json_number(math.sqrt(sum(p * p for p in known)))
