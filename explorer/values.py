"""The user's values: every tensor a snippet can name, found by one walk, named in one path
grammar, and copied or moved by one map.

The path grammar (``twin.paths`` reads it back): a module-level name or forward's argument,
then ``.attr`` for an attribute of an object or a module's parameter or buffer (torch's own
dotted names: ``model.layers.0.weight``), ``[i]`` for a list or tuple item and ``['k']`` for
a dict item (``batch['x']``, ``sequences[1]``, ``tree.left.value``). The same tensor gets the
same name in the torch graph, the twin, the gradients page and the training page.
"""
from __future__ import annotations

import copy
import inspect
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

WALK_DEPTH = 8
CONTRACT_NAMES = ("forward", "inputs")


@dataclass
class Leaf:
    """A tensor the user can name: ``param`` (requires grad), ``const`` or ``input``."""

    name: str
    kind: str  # param | input | const
    tensor: torch.Tensor


def is_record(obj: Any) -> bool:
    """A plain object whose attributes are user data (a dataclass, a tree node, a config):
    the one test of "look inside" for every walk and map. Not a module, class, function or
    ``nn.Module`` (whose tensors are its parameters and buffers)."""
    return hasattr(obj, "__dict__") and not (
        inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isroutine(obj)
        or isinstance(obj, torch.nn.Module))


def _children(path: str, item: Any) -> list[tuple[str, Any]]:
    if isinstance(item, (list, tuple)):
        return [(f"{path}[{i}]", v) for i, v in enumerate(item)]
    if isinstance(item, dict):
        return [(f"{path}[{k!r}]", v) for k, v in item.items()]
    if is_record(item):
        return [(f"{path}.{k}", v) for k, v in vars(item).items() if not k.startswith("_")]
    return []


def walk(name: str, obj: Any) -> Iterator[tuple[str, torch.Tensor]]:
    """Every tensor reachable from ``obj``, each with its path, in the order written.

    An explicit stack, a depth bound and an identity set keep cycles and deep data safe."""
    stack: list[tuple[str, Any, int]] = [(name, obj, 0)]
    seen: set[int] = set()
    while stack:
        path, item, depth = stack.pop()
        if id(item) in seen or depth > WALK_DEPTH:
            continue
        seen.add(id(item))
        if isinstance(item, torch.Tensor):
            yield path, item
        elif isinstance(item, torch.nn.Module):
            yield from ((f"{path}.{n}", p) for n, p in item.named_parameters())
            yield from ((f"{path}.{n}", b) for n, b in item.named_buffers())
        else:
            stack.extend((p, v, depth + 1) for p, v in reversed(_children(path, item)))


def modules(namespace: dict) -> list[tuple[str, torch.nn.Module]]:
    """Every ``nn.Module`` a module-level name reaches, with its submodules, by path
    (``model``, ``model.layers.0``, ``blocks[1]``), each once."""
    found, seen = [], set()
    named = list(user_names(namespace))
    stack: list[tuple[str, Any, int]] = [(n, v, 0) for n, v in reversed(named)]
    while stack:
        path, item, depth = stack.pop()
        if id(item) in seen or depth > WALK_DEPTH:
            continue
        seen.add(id(item))
        if isinstance(item, torch.nn.Module):
            for sub, module in item.named_modules():
                if id(module) not in seen or not sub:
                    seen.add(id(module))
                    found.append((f"{path}.{sub}" if sub else path, module))
        elif not isinstance(item, torch.Tensor):
            stack.extend((p, v, depth + 1) for p, v in reversed(_children(path, item)))
    return found


def user_names(namespace: dict) -> Iterator[tuple[str, Any]]:
    """The module-level names of a snippet that may hold its data (not imports, classes,
    functions, private names or the contract's two functions)."""
    for name, value in namespace.items():
        if name.startswith("_") or name in CONTRACT_NAMES or isinstance(
                value, (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)):
            continue
        yield name, value


def unique(named: Iterable[tuple[str, torch.Tensor]]) -> list[tuple[str, torch.Tensor]]:
    """Each tensor once, under its first name (ids are stable: the caller keeps them alive)."""
    out, seen = [], set()
    for name, tensor in named:
        if id(tensor) not in seen:
            seen.add(id(tensor))
            out.append((name, tensor))
    return out


def module_tensors(namespace: dict) -> list[tuple[str, torch.Tensor]]:
    """Every tensor a module-level name reaches (layers, plain tensors, lists, dicts,
    objects), once, by its path: ``model.0.weight``, ``cfg.w``, ``table['a']``."""
    return unique(pair for name, value in user_names(namespace) for pair in walk(name, value))


def input_tensors(names: list[str], args: tuple) -> list[tuple[str, torch.Tensor]]:
    """Every tensor in forward's arguments, by path (``seqs[0]``, ``batch['x']``)."""
    return unique(pair for name, value in zip(names, args) for pair in walk(name, value))


def leaves(namespace: dict, names: list[str], args: tuple) -> list[Leaf]:
    """The named leaves of a run: module-level tensors first (``param`` when they require
    grad, else ``const``), then forward's inputs; each tensor once, under its first name."""
    out = [Leaf(name, "param" if t.requires_grad else "const", t)
           for name, t in module_tensors(namespace)]
    seen = {id(leaf.tensor) for leaf in out}
    out += [Leaf(name, "input", t) for name, t in input_tensors(names, args) if id(t) not in seen]
    return out


def is_lazy(tensor: torch.Tensor) -> bool:
    """A lazy module's parameter before its first call: a shape to come, no values yet."""
    return isinstance(tensor, torch.nn.parameter.UninitializedTensorMixin)


def map_leaves(obj: Any, is_leaf: Callable[[Any], bool], make: Callable[[Any], Any],
               memo: dict[int, Any] | None = None) -> Any:
    """A copy of ``obj`` with every leaf replaced by ``make(leaf)``, through lists, tuples,
    dicts and records (copied, never changed in place). Shared parts stay shared: a child
    two parents hold is copied once, so it keeps one name."""
    memo = {} if memo is None else memo
    if id(obj) in memo:
        return memo[id(obj)]
    if is_leaf(obj):
        out = make(obj)
    elif isinstance(obj, (list, tuple)):
        items = [map_leaves(v, is_leaf, make, memo) for v in obj]
        out = type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    elif isinstance(obj, dict):
        out = {k: map_leaves(v, is_leaf, make, memo) for k, v in obj.items()}
    elif is_record(obj):
        out = copy.copy(obj)
        memo[id(obj)] = out  # before the children: a cycle comes back to the copy
        for key, value in vars(obj).items():
            new = map_leaves(value, is_leaf, make, memo)
            if new is not value:
                object.__setattr__(out, key, new)  # frozen dataclasses too
        return out
    else:
        return obj
    memo[id(obj)] = out
    return out


def to_device(obj: Any, device: torch.device) -> Any:
    """``obj`` with every tensor on ``device``; leaves stay leaves, requires_grad kept."""
    def move(t: torch.Tensor) -> torch.Tensor:
        if t.device == device:
            return t
        return t.detach().to(device).requires_grad_(t.requires_grad)
    return map_leaves(obj, lambda v: isinstance(v, torch.Tensor), move)
