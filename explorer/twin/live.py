"""The twin of live objects: a function or ``nn.Module`` of the user's own kernel (a notebook
cell), written out as snippet text that feeds the existing translate -> trace -> check path.

No snippet file exists, so the text is made from what the function reaches: the source of
the function, of the functions and ``nn.Module`` classes it uses (``inspect`` and
``linecache``, which also work for notebook cells), an import for each module it names, and
one construction line per module-level layer or tensor it reads. The weights are not in that
text: the check gives the twin the live tensors' current values by path, as it does for a
snippet. Pieces from the function's own cell keep their line numbers there, so the twin's
lesson and the executed path name the cell's lines. Imports no TensorFlow.
"""
from __future__ import annotations

import inspect
import types
from dataclasses import dataclass, field
from typing import Any

import torch

from explorer import values
from explorer.twin.live_code import (
    LiveError,
    Piece,
    class_piece,
    function_piece,
    is_user_code,
    literal,
    methods,
    module_line,
    names_read,
    tensor_line,
)

__all__ = ["LiveError", "Source", "check_structure", "to_cell_lines", "traced_file",
           "write_out"]

HEADER = ("import torch", "import torch.nn as nn", "import torch.nn.functional as F")


@dataclass
class Source:
    """A live function written out as snippet text."""

    code: str                    # the whole snippet: pieces, imports, constructions, forward
    view: str                    # only the pieces of ``filename``, at their own lines
    filename: str                # the file (a notebook cell) the executed path is traced in
    namespace: dict[str, Any]    # module-level name -> the live module or tensor it is
    built: list[str] = field(default_factory=list)  # the names the construction lines make
    offset: int = 0              # lines the code is below the cell (see ``layout``)


class _Collector:
    """What a function reaches, name by name: pieces, imports, constructions."""

    def __init__(self) -> None:
        self.pieces: dict[int, Piece] = {}
        self.imports: list[str] = list(HEADER)
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}
        self.done: set[str] = set()

    def code(self, obj: Any) -> None:
        """Add a user function or class and every name its code reads."""
        if id(obj) in self.pieces:
            return
        if isinstance(obj, type):
            self.pieces[id(obj)] = class_piece(obj)
            functions = methods(obj)
            for base in obj.__mro__[1:]:
                if is_user_code(base):
                    self.code(base)
        else:
            self.pieces[id(obj)] = function_piece(obj)
            functions = [obj]
        for fn in functions:
            scope = {**fn.__globals__, **inspect.getclosurevars(fn).nonlocals}
            for name in sorted(names_read(fn.__code__) | set(fn.__code__.co_freevars)):
                if name in scope:
                    self.name(name, scope[name])

    def name(self, name: str, value: Any) -> None:
        if name in self.done:
            return
        self.done.add(name)
        if isinstance(value, types.ModuleType):
            line = f"import {value.__name__}" + (f" as {name}" if name != value.__name__ else "")
            if line not in self.imports and not (name == "torch" and value is torch):
                self.imports.append(line)
        elif is_user_code(value):
            self.code(value)
        elif isinstance(value, (types.FunctionType, type, types.BuiltinFunctionType)):
            module, qual = value.__module__, value.__qualname__
            if module and "." not in qual:
                self.imports.append(f"from {module} import {qual}"
                                    + (f" as {name}" if name != qual else ""))
        elif isinstance(value, torch.nn.Module):
            self.module(name, value)
        elif isinstance(value, torch.Tensor):
            self.lines.append(f"{name} = {tensor_line(value)}")
            self.namespace[name] = value
        elif (text := literal(value)) is not None:
            self.lines.append(f"{name} = {text}")
        elif isinstance(value, (list, tuple, dict)):
            self.container(name, value)

    def container(self, name: str, value: Any) -> None:
        """A list, tuple or dict of tensors, layers and plain values, written out whole."""
        def line(item: Any) -> str:
            if isinstance(item, torch.Tensor):
                return tensor_line(item)
            if isinstance(item, torch.nn.Module):
                for sub in item.modules():
                    if is_user_code(type(sub)):
                        self.code(type(sub))
                return module_line(item)
            if isinstance(item, dict):
                return "{" + ", ".join(f"{k!r}: {line(v)}" for k, v in item.items()) + "}"
            if isinstance(item, (list, tuple)):
                inner = ", ".join(line(v) for v in item) + ("," if len(item) == 1 else "")
                return f"[{inner}]" if isinstance(item, list) else f"({inner})"
            text = literal(item)
            if text is None:
                raise LiveError(f"{name} holds a {type(item).__name__}, which cannot be written "
                                "out as code for the twin.")
            return text
        self.lines.append(f"{name} = {line(value)}")
        self.namespace[name] = value

    def module(self, name: str, value: torch.nn.Module) -> None:
        for sub in value.modules():
            if is_user_code(type(sub)):
                self.code(type(sub))
        self.lines.append(f"{name} = {module_line(value)}")
        self.namespace[name] = value


def layout(pieces: list[Piece], filename: str, header: str) -> tuple[list[str], str, int]:
    """``header`` (the imports, one line) first, then the pieces of ``filename`` at their own
    lines, then the others; the first part alone, at the cell's lines (the executed path
    reads it); and by how many lines the code is below the cell: 0 where the header fits
    above the first piece, 1 where that piece starts the cell (``to_cell_lines``)."""
    same = sorted((p for p in pieces if p.filename == filename), key=lambda p: p.first)
    offset = 1 if same and same[0].first <= 1 else 0
    lines, view, rest = [header], [], [p for p in pieces if p.filename != filename]
    for piece in same:
        if piece.first + offset <= len(lines):  # inside one already placed: not again
            continue
        view += [""] * (piece.first - 1 - len(view)) + piece.text.splitlines()
        lines += [""] * (piece.first + offset - 1 - len(lines)) + piece.text.splitlines()
    for piece in sorted(rest, key=lambda p: (p.filename, p.first)):
        lines += ["", ""] + piece.text.splitlines()
    return lines, "\n".join(view) + "\n", offset


def to_cell_lines(result: dict, offset: int) -> dict:
    """A check result about the written-out code, with its lines as the cell's own."""
    if not offset:
        return result

    def back(line: Any) -> Any:
        return line - offset if isinstance(line, int) and line > offset else line

    out = dict(result)
    if isinstance(result.get("line"), int):
        out["line"] = back(result["line"])
        out["message"] = str(result.get("message", "")).replace(
            f"line {result['line']}", f"line {out['line']}", 1)
    if result.get("missing"):
        out["missing"] = [{**item, "line": back(item.get("line"))} for item in result["missing"]]
    stack = [out["graph"]] if out.get("graph") else []
    while stack:
        graph = stack.pop()
        for node in graph.get("nodes", []):
            if "line" in node.get("attrs", {}):
                node["attrs"]["line"] = back(node["attrs"]["line"])
        stack.extend(graph.get("subgraphs", {}).values())
    return out


def traced_file(target: Any) -> str:
    """The file (a notebook cell) whose lines the executed path of ``target`` counts."""
    function = type(target).forward if isinstance(target, torch.nn.Module) else target
    code = getattr(function, "__code__", None)
    return code.co_filename if code is not None else "<none>"


def write_out(target: Any, arg_names: list[str], module_name: str = "model",
              check: bool = True) -> Source:
    """Snippet text for calling ``target`` (a function, or an ``nn.Module`` bound to
    ``module_name``) with arguments named ``arg_names``; ``check``: build its layers in
    torch to see that they have the live ones' tensors (``check_structure``)."""
    collect = _Collector()
    params = ", ".join(f"arg{i}" for i in range(len(arg_names)))
    if isinstance(target, torch.nn.Module):
        collect.module(module_name, target)
        call, main = module_name, class_piece(type(target)) if is_user_code(type(target)) \
            else None
    elif isinstance(target, types.FunctionType):
        collect.code(target)
        call, main = target.__name__, collect.pieces[id(target)]
    else:
        raise LiveError(f"show() takes a function or an nn.Module, not {type(target).__name__}.")
    filename = main.filename if main else traced_file(target)
    lines, view, offset = layout(list(collect.pieces.values()), filename,
                                 "; ".join(collect.imports))
    tail = ["", "", *collect.lines]
    if call != "forward" or isinstance(target, torch.nn.Module):
        tail += ["", "", f"def forward({params}):", f"    return {call}({params})"]
    code = "\n".join(lines + tail) + "\n"
    source = Source(code, view, filename, collect.namespace, offset=offset)
    source.built = [line.split(" = ", 1)[0] for line in collect.lines
                    if line.split(" = ", 1)[0] in collect.namespace]
    if check:
        check_structure(source)
    return source


def check_structure(source: Source) -> None:
    """Build the written-out layers in torch and compare every tensor's path and shape with
    the live ones: the twin must have a place for each live value."""
    namespace: dict[str, Any] = {"__name__": "__live__"}
    try:
        with torch.random.fork_rng(devices=[]):
            exec(compile(source.code, "<live>", "exec", dont_inherit=True), namespace)
    except Exception as exc:  # the written-out constructions may fail in any way
        raise LiveError(f"The layers cannot be built again from their settings "
                        f"({type(exc).__name__}: {exc}).") from None
    for name in source.built:
        live = [(p, tuple(t.shape)) for p, t in values.walk(name, source.namespace[name])]
        made = [(p, tuple(t.shape)) for p, t in values.walk(name, namespace.get(name))]
        if sorted(live) != sorted(made):
            gap = sorted(set(live) ^ set(made))[:3]
            raise LiveError(f"{name} cannot be written out as code that builds the same "
                            f"tensors (differs at {gap}).")
