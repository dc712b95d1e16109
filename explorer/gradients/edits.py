"""Live edits of a loaded snippet, applied after load and before forward: the page's sliders.

- ``input_scale``: multiply every floating input tensor by a factor;
- ``input_element`` / ``param_element``: set one element of a named input / module-level
  tensor (``{"name": "linear_layer.weight", "index": [i, j], "value": v}``, or a list).

Order: the scale first, then elements, so an element's value is the value forward sees.
Edits happen in place under ``no_grad``: leaves stay leaves, and every name the snippet holds
for a tensor sees the edit (that tensor *is* the input).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from explorer import values
from explorer.snippet import Program, SnippetError

KINDS = {"input_element": "input", "param_element": "module-level tensor"}


def edit_error(message: str) -> SnippetError:
    return SnippetError("error", message, error_type="EditError")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise edit_error(f"{what} must be a finite number, not {value!r}.")
    return float(value)


@dataclass(frozen=True)
class ElementEdit:
    kind: str            # a key of KINDS
    name: str
    index: tuple[int, ...]
    value: float

    @classmethod
    def parse(cls, kind: str, data: Any) -> ElementEdit:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise edit_error(f'{kind} must be {{"name": ..., "index": [...], "value": ...}}, '
                             f"not {data!r}.")
        index = data.get("index", [])
        if not isinstance(index, (list, tuple)) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in index):
            raise edit_error(f"{kind} index must be a list of integers, not {index!r}.")
        return cls(kind, data["name"], tuple(index), _number(data.get("value"), f"{kind} value"))

    def apply(self, tensors: dict[str, torch.Tensor]) -> None:
        what = KINDS[self.kind]
        t = tensors.get(self.name)
        if t is None:
            known = ", ".join(tensors) or "none"
            raise edit_error(f"No {what} named {self.name!r}. Known: {known}.")
        if len(self.index) != t.dim() or any(
                not -size <= i < size for i, size in zip(self.index, t.shape)):
            raise edit_error(f"Index {list(self.index)} does not fit {self.name} of shape "
                             f"{list(t.shape)}: give one index per dimension, each within "
                             "its size.")
        if not (t.is_floating_point() or t.is_complex()) and self.value != int(self.value):
            raise edit_error(f"{self.name} holds {str(t.dtype).removeprefix('torch.')} values; "
                             f"{self.value:g} is not one.")
        with torch.no_grad():
            t[self.index] = self.value


@dataclass(frozen=True)
class Edits:
    input_scale: float | None = None
    elements: tuple[ElementEdit, ...] = field(default_factory=tuple)

    @classmethod
    def from_request(cls, request: dict) -> Edits:
        scale = request.get("input_scale")
        elements: list[ElementEdit] = []
        for kind in KINDS:
            value = request.get(kind)
            for item in value if isinstance(value, list) else ([] if value is None else [value]):
                elements.append(ElementEdit.parse(kind, item))
        elements.sort(key=lambda e: list(KINDS).index(e.kind))  # inputs, then parameters
        return cls(None if scale is None else _number(scale, "input_scale"), tuple(elements))

    def apply(self, program: Program) -> None:
        inputs = _unique(program.input_tensors())
        if self.input_scale is not None:
            for name, t in inputs.items():
                if t.is_floating_point() or t.is_complex():
                    try:
                        with torch.no_grad():
                            t.mul_(self.input_scale)
                    except RuntimeError as err:  # an expanded tensor shares memory
                        raise edit_error(f"Cannot scale {name} in place: {err}") from None
        tables = {"input_element": inputs, "param_element": _unique(program.module_tensors())}
        for edit in self.elements:
            try:
                edit.apply(tables[edit.kind])
            except RuntimeError as err:  # e.g. an expanded tensor shares memory
                raise edit_error(f"Cannot edit {edit.name}: {err}") from None


VALUES_LIMIT = 10_000


def targets(program: Program, before: dict[str, dict] | None = None) -> dict[str, dict]:
    """What the sliders can edit: every floating input and module-level tensor, by edit kind
    and name, with its shape and (when small) its values as forward will see them.

    Called before forward; a lazy module's parameters exist only after its first call, so a
    second call after forward adds them to ``before`` (the first call's answer)."""
    tables = {"input_element": _unique(program.input_tensors()),
              "param_element": _unique(program.module_tensors())}
    out: dict[str, dict] = {kind: dict(items) for kind, items in (before or {}).items()}
    for kind, tensors in tables.items():
        entries = out.setdefault(kind, {})
        for name, t in tensors.items():
            if name in entries or not t.is_floating_point() or values.is_lazy(t):
                continue
            entries[name] = {"shape": list(t.shape), "value": t.detach().cpu().tolist()
                             if t.numel() <= VALUES_LIMIT and not t.is_meta else None}
    return out


def _unique(named: Iterator[tuple[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Name -> tensor, each tensor once under its first name (as capture names leaves)."""
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()  # id() is safe here: every tensor stays alive in the program
    for name, t in named:
        if id(t) not in seen:
            seen.add(id(t))
            out[name] = t
    return out
