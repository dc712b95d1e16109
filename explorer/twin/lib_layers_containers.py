"""TensorFlow twins of torch.nn's containers by name and of parameters: ModuleDict,
ParameterDict, ParameterList. Children keep torch's item names as attributes, so the torch
run's paths (``blocks.enc.weight``, ``params.0``) reach them. Re-exported by ``lib_layers``.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module

__all__ = ["ModuleDict", "ParameterList", "ParameterDict"]


class _Named(Module):
    """Children by name: each is also an attribute of that name, so torch's paths
    (``blocks.enc.weight``) reach them, and ``[key]`` as in torch."""

    def __init__(self, items: Any = None) -> None:
        super().__init__()
        self.names: list[str] = []
        if items is not None:
            self.update(items)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self.names:
            self.names.append(key)
        setattr(self, key, value)

    def __getitem__(self, key: str) -> Any:
        if key not in self.names:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in self.names

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.names))

    def keys(self) -> list[str]:
        return list(self.names)

    def values(self) -> list[Any]:
        return [self[k] for k in self.names]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self[k]) for k in self.names]

    def update(self, items: Any) -> None:
        pairs = items.items() if hasattr(items, "items") else items
        for key, value in pairs:
            self[key] = value

    def pop(self, key: str) -> Any:
        value = self[key]
        self.names.remove(key)
        delattr(self, key)
        return value


class ModuleDict(_Named):
    pass


class ParameterDict(_Named):
    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value if isinstance(value, tf.Variable) else tf.Variable(value))


class ParameterList(Module):
    """Parameters by position; torch names them ``0``, ``1``..."""

    def __init__(self, values: Any = None) -> None:
        super().__init__()
        self.items: list[tf.Variable] = []
        self.extend(values or ())

    def __getitem__(self, index: int | slice) -> Any:
        return self.items[index]

    def __setitem__(self, index: int, value: Any) -> None:
        self.items[index] = value if isinstance(value, tf.Variable) else tf.Variable(value)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def append(self, value: Any) -> ParameterList:
        self.items.append(value if isinstance(value, tf.Variable) else tf.Variable(value))
        return self

    def extend(self, values: Any) -> ParameterList:
        for value in values:
            self.append(value)
        return self
