"""Bytes autograd keeps for backward, per node and in total, through saved-tensor hooks.

How a saved tensor is tied to its node. Hooks are registered per saved tensor
(``SavedTensor.register_hooks`` on a Node's ``_raw_saved_*`` attributes) after forward and
capture, not with the ``saved_tensors_hooks`` context around forward: registering calls the
pack hook at once, so the node that keeps the tensor is known by construction. Two facts,
measured on torch 2.x, ruled the context manager out:

1. Under it, unpacking returns new tensor objects, so capture can no longer tie a saved
   tensor to the leaf it is, and the graph would differ from the one the graph page draws.
2. Either form switches off autograd's in-place check for hooked tensors: after
   ``y = tanh(x); y.add_(1)`` backward silently uses the modified ``y`` instead of raising.
   So a tensor already modified in place is left unhooked (autograd's own check still
   raises), and the unpack hook repeats the version check for the rest.

The total counts each storage once and whole: two nodes saving the same weight keep one
copy, and a saved view keeps its whole base alive.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

RAW = "_raw_saved_"
INPLACE = ("one of the variables needed for gradient computation has been modified by an "
           "inplace operation: [{dtype} {shape}] is at version {now}; expected version "
           "{then} instead.")


class _Packed:
    """What a hooked SavedVariable holds: the tensor and its version when it was measured."""

    __slots__ = ("tensor", "version")

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor
        self.version = tensor._version


def _unpack(packed: _Packed) -> torch.Tensor:
    t = packed.tensor
    if t._version != packed.version:  # autograd skips this check for hooked tensors
        raise RuntimeError(INPLACE.format(dtype=str(t.dtype).removeprefix("torch."),
                                          shape=list(t.shape), now=t._version,
                                          then=packed.version))
    return t


def storage_key(t: torch.Tensor) -> tuple[str, int] | None:
    """Where ``t``'s memory lives; None for tensors without one storage (sparse, nested)."""
    try:
        return str(t.device), t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):
        return None


def _storage_bytes(t: torch.Tensor) -> int:
    try:
        return t.untyped_storage().nbytes()
    except (RuntimeError, NotImplementedError):
        return t.numel() * t.element_size()


@dataclass
class SavedReport:
    per_node: dict[str, dict] = field(default_factory=dict)   # node id -> bytes and count
    storages: dict[Any, int] = field(default_factory=dict)    # storage -> its bytes
    leaf_storages: set = field(default_factory=set)

    def totals(self) -> dict:
        leaf = sum(b for key, b in self.storages.items() if key in self.leaf_storages)
        total = sum(self.storages.values())
        return {"total_bytes": total, "leaf_bytes": leaf, "activation_bytes": total - leaf,
                "tensors": sum(n["saved_tensors"] for n in self.per_node.values()),
                "storages": len(self.storages)}


def _unpacked(fn: Any, key: str) -> Any:
    """What ``_raw_saved_<key>`` holds, unpacked: ``_saved_<key>``, or for a custom
    ``autograd.Function`` (``ctx.save_for_backward``) ``saved_tensors``. Raises RuntimeError
    as autograd does when the tensor was freed or modified in place."""
    try:
        return getattr(fn, f"_saved_{key}")
    except AttributeError:
        return getattr(fn, f"saved_{key}")


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def measure(fn_ids: dict[Any, str], leaves: Iterable[torch.Tensor]) -> SavedReport:
    """Hook every tensor the Nodes in ``fn_ids`` saved and count its bytes per node."""
    report = SavedReport(leaf_storages={k for t in leaves if (k := storage_key(t)) is not None})
    for fn, node_id in fn_ids.items():
        entry = report.per_node.setdefault(node_id, {"saved_bytes": 0, "saved_tensors": 0})
        for attr in dir(fn):
            if not attr.startswith(RAW):
                continue
            try:  # unpacking runs autograd's own checks: freed, or modified in place
                values = _as_list(_unpacked(fn, attr.removeprefix(RAW)))
            except RuntimeError:
                continue  # left alone, so that backward raises torch's own error
            for raw, value in zip(_as_list(getattr(fn, attr)), values):
                if not isinstance(value, torch.Tensor):
                    continue  # an optional tensor that was not saved (None)
                measured: list[torch.Tensor] = []

                def pack(t: torch.Tensor, measured: list = measured) -> _Packed:
                    measured.append(t)
                    return _Packed(t)

                try:
                    raw.register_hooks(pack, _unpack)
                except RuntimeError:
                    measured = [value]  # the snippet hooked it itself: count what it unpacks to
                for t in measured:
                    entry["saved_bytes"] += t.numel() * t.element_size()
                    entry["saved_tensors"] += 1
                    key = storage_key(t) or ("tensor", len(report.storages))
                    report.storages[key] = max(report.storages.get(key, 0), _storage_bytes(t))
    return report
