"""The code the twin of live objects is written from: the source of the user's functions
and classes (``inspect``, and ``linecache`` for a class of a notebook cell), and a line of
code that builds each module-level value again (a layer from its settings, a tensor of the
same shape and dtype, a plain value as it is written). ``twin.live`` assembles them.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import sys
import sysconfig
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

LITERALS = (bool, int, float, str, type(None))
LIBRARY = {Path(p).resolve() for k, p in sysconfig.get_paths().items()
           if k in ("stdlib", "platstdlib", "purelib", "platlib")}


class LiveError(Exception):
    """The live objects cannot be written out as a snippet (a message for the user)."""


@dataclass
class Piece:
    """The source of one function or class: the file it is in, its first line, its text."""

    filename: str
    first: int
    text: str


def is_library(obj: Any) -> bool:
    """An object of an installed package or of Python itself, not the user's own code (a
    notebook's ``__main__``, or a file of theirs outside the interpreter's library)."""
    name = getattr(obj, "__module__", None) or ""
    if not name or name == "__main__":
        return False
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    if file is None:
        return module is not None  # built into the interpreter
    return any(Path(file).resolve().is_relative_to(p) for p in LIBRARY)


def is_user_code(obj: Any) -> bool:
    return isinstance(obj, (types.FunctionType, type)) and not is_library(obj)


def function_piece(fn: types.FunctionType) -> Piece:
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        raise LiveError(f"The source of {fn.__qualname__} cannot be read (inspect finds "
                        "none), so there is no code to translate.") from None
    return Piece(fn.__code__.co_filename, max(first, 1), textwrap.dedent("".join(lines)))


def methods(cls: type) -> list[types.FunctionType]:
    """The functions a class defines: plain, static and class methods, property getters."""
    found = []
    for value in vars(cls).values():
        value = getattr(value, "__func__", getattr(value, "fget", value))
        if isinstance(value, types.FunctionType):
            found.append(value)
    return found


def class_piece(cls: type) -> Piece:
    """A class's source, found by a method's file and line (``inspect.getsource`` of a class
    fails for notebook cells in Python 3.11: ``__main__`` has no file)."""
    codes = [f.__code__ for f in methods(cls)]
    for code in codes:
        text = "".join(linecache.getlines(code.co_filename))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__ \
                    and node.lineno <= code.co_firstlineno <= node.end_lineno:
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines = text.splitlines(keepends=True)[first - 1:node.end_lineno]
                return Piece(code.co_filename, first, textwrap.dedent("".join(lines)))
    raise LiveError(f"The source of class {cls.__name__} cannot be found, so there is no "
                    "code to translate.")


def names_read(code: types.CodeType) -> set[str]:
    """Every global name a code object and the code nested in it read."""
    found, stack = set(), [code]
    while stack:
        c = stack.pop()
        found.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return found


def literal(value: Any) -> str | None:
    if isinstance(value, LITERALS) or (isinstance(value, tuple) and all(
            isinstance(v, LITERALS) for v in value)):
        text = repr(value)
        try:
            return text if ast.literal_eval(text) == value else None
        except (ValueError, SyntaxError):
            return None
    return None


def tensor_line(t: torch.Tensor) -> str:
    """A tensor of the same shape and dtype (the check gives it the live values)."""
    grad = ", requires_grad=True" if t.requires_grad else ""
    return f"torch.zeros({tuple(t.shape)!r}, dtype={t.dtype}{grad})"


def module_line(m: torch.nn.Module) -> str:
    """Code that builds a module of the same structure as ``m``."""
    cls = type(m)
    if is_library(cls):
        if getattr(torch.nn, cls.__name__, None) is not cls:
            raise LiveError(f"{cls.__module__}.{cls.__name__} is not a torch.nn class the "
                            "twin knows.")
        children = list(m.named_children())
        if isinstance(m, torch.nn.ModuleDict):
            return "nn.ModuleDict({" + ", ".join(f"{k!r}: {module_line(c)}"
                                                 for k, c in children) + "})"
        if isinstance(m, (torch.nn.Sequential, torch.nn.ModuleList)):
            if [k for k, _ in children] != [str(i) for i in range(len(children))]:
                raise LiveError(f"a {cls.__name__} with named children cannot be written out.")
            items = ", ".join(module_line(c) for _, c in children)
            return f"nn.Sequential({items})" if isinstance(m, torch.nn.Sequential) \
                else f"nn.ModuleList([{items}])"
        return f"nn.{cls.__name__}({m.extra_repr()})"
    return f"{cls.__name__}({user_arguments(m)})"


def user_arguments(m: torch.nn.Module) -> str:
    """Arguments of a user class's ``__init__``, read back from the attributes of the same
    names (``self.hidden = hidden``), the usual way a module keeps them."""
    cls = type(m)
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return ""
    out = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        text = literal(getattr(m, p.name)) if hasattr(m, p.name) else None
        if text is None and p.default is p.empty:
            raise LiveError(f"{cls.__name__}.__init__ takes {p.name!r}, and the module keeps no "
                            f"attribute {p.name!r} with a plain value to read it back from.")
        if text is not None and (p.default is p.empty or ast.literal_eval(text) != p.default):
            out.append(f"{p.name}={text}")
    return ", ".join(out)
