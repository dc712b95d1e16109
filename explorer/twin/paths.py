"""Python paths as ``values.walk`` writes them (``model.layers.0.weight``,
``sequences[1]``, ``batch['a']``): read and write the object at a path in another namespace,
so the twin's values can be set from the torch run's."""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

_STEP = re.compile(r"\.(\w+)|\[([^\]]+)\]")


class PathError(LookupError):
    """The path names nothing in this namespace (or something that cannot be replaced)."""


def steps(path: str) -> tuple[str, list[tuple[str, Any]]]:
    """``"m.layers.0.weight"`` -> ``("m", [("attr", "layers"), ("attr", "0"), ...])``."""
    root = re.match(r"\w+", path)
    if root is None:
        raise PathError(path)
    out, position = [], root.end()
    for found in _STEP.finditer(path, position):
        if found.start() != position:
            raise PathError(path)
        attr, key = found.groups()
        out.append(("attr", attr) if attr is not None else ("item", ast.literal_eval(key)))
        position = found.end()
    if position != len(path):
        raise PathError(path)
    return root.group(), out


def _get(obj: Any, step: tuple[str, Any]) -> Any:
    kind, key = step
    try:
        if kind == "item":
            return obj[key]
        if key.isdigit() and not hasattr(obj, key) and hasattr(obj, "__getitem__"):
            return obj[int(key)]  # a ModuleList or Sequential child, named "0", "1"...
        return getattr(obj, key)
    except (AttributeError, LookupError, TypeError) as err:
        raise PathError(f"{key}: {err}") from None


def _walk(namespace: dict, root: str, rest: list[tuple[str, Any]]) -> Any:
    if root not in namespace:
        raise PathError(root)
    obj = namespace[root]
    for step in rest:
        obj = _get(obj, step)
    return obj


def get(namespace: dict, path: str) -> Any:
    return _walk(namespace, *steps(path))


def put(namespace: dict, path: str, value: Any) -> None:
    """Bind ``value`` at ``path``: a namespace name, an attribute, or a list/dict item."""
    root, rest = steps(path)
    if not rest:
        namespace[root] = value
        return
    parent = _walk(namespace, root, rest[:-1])
    kind, key = rest[-1]
    try:
        if kind == "item" or key.isdigit():
            parent[key if kind == "item" else int(key)] = value
        else:
            setattr(parent, key, value)
    except (AttributeError, LookupError, TypeError) as err:
        raise PathError(f"cannot set {path}: {err}") from None


def flatten(name: str, value: Any, is_leaf: Callable[[Any], bool]) -> list[tuple[str, Any]]:
    """Leaves of nested lists, tuples and dicts with their paths, in ``tf.nest`` order
    (dict keys sorted), which is the order of a tf.function's argument placeholders."""
    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = [(name, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, dict):
            stack.extend((f"{path}[{k!r}]", item[k]) for k in reversed(sorted(item)))
        elif is_leaf(item):
            out.append((path, item))
    return out
