"""What a snippet binds and where its text is: the facts the twin's rewrite reads.

Positions are UTF-8 byte offsets, as ``ast`` gives them. Pure text: no torch, no TensorFlow.
"""
from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

from explorer.twin.limits import NoTwin

FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)


class Scope:
    """What a snippet binds (torch aliases, other imports, modules, classes), which nodes
    are inside functions, and where each node's text is."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.data = code.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))
        self.tree = ast.parse(code)
        self.aliases: dict[str, str] = {}    # local name -> torch qualified name
        self.imported: set[str] = set()      # names bound by other imports (math, np)
        self.in_function: set[ast.AST] = set()
        self.module_names: set[str] = set()  # names and self.<attr>s that hold modules
        self.classes: set[str] = set()
        self._scan()

    # -- source positions ------------------------------------------------------------------
    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.starts[node.lineno - 1] + node.col_offset,
                self.starts[node.end_lineno - 1] + node.end_col_offset)

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode()

    def no_twin(self, node: ast.AST, construct: str, reason: str, detail: str | None = None):
        lines = self.code.splitlines()
        line = getattr(node, "lineno", None)
        source = lines[line - 1] if line and line <= len(lines) else None
        return NoTwin(construct, reason, line, source, detail)

    # -- what the snippet binds ------------------------------------------------------------
    def _scan(self) -> None:
        self.classes = {n.name for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)}
        for node in ast.walk(self.tree):  # imports first: the rest reads the aliases
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "torch" or a.name.startswith("torch."):
                        self.aliases[a.asname or "torch"] = a.name if a.asname else "torch"
                    else:
                        self.imported.add(a.asname or a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if node.module and (node.module == "torch" or node.module.startswith("torch.")):
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                    else:
                        self.imported.add(a.asname or a.name)
        for node in ast.walk(self.tree):
            if isinstance(node, FUNCTION_NODES):
                inner = [*node.body, *node.decorator_list]
                self.in_function.update(n for s in inner for n in ast.walk(s))
            elif isinstance(node, ast.Lambda):
                self.in_function.update(ast.walk(node.body))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                    and self.makes_module(node.value):
                self.module_names.update(self.segment(t) for t in node.targets)

    def qualname(self, node: ast.AST) -> str | None:
        """``F.relu`` -> ``torch.nn.functional.relu`` when ``F`` names a torch module."""
        attrs = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        base = self.aliases.get(node.id) if isinstance(node, ast.Name) else None
        return ".".join([base, *reversed(attrs)]) if base else None

    def tensor_like(self, node: ast.AST) -> bool:
        """Might ``node`` be a tensor, whose methods the table rewrites? Not a module, an
        import or ``self``: ``self.norm(x)`` calls a layer, ``math.exp(v)`` a function."""
        if isinstance(node, ast.Name) and (node.id in self.imported or node.id == "self"):
            return False
        if isinstance(node, ast.Call) and self.makes_module(node):
            return False
        return self.qualname(node) is None and self.segment(node) not in self.module_names

    def makes_module(self, call: ast.Call) -> bool:
        """``nn.Linear(4, 4)`` or ``Net()``: a call that builds a module (or a user object)."""
        called = self.qualname(call.func) or getattr(call.func, "id", "")
        if called in self.classes:
            return True
        parent, _, name = called.rpartition(".")
        # torch.nn.Linear, not torch.nn.functional.relu; a Parameter is a tensor
        return parent.startswith("torch.nn") and name[:1].isupper() and name != "Parameter"


def comments(source: str) -> list[str]:
    """The comments inside a piece of code (none if it does not tokenize on its own)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    return [t.string for t in tokens if t.type == tokenize.COMMENT]


@dataclass(frozen=True)
class Recursion:
    """A function that calls itself: its name, its lines, the line of the first self-call."""

    name: str
    first: int
    last: int
    call: int


def recursive_functions(tree: ast.AST) -> list[Recursion]:
    """Functions that call themselves (``f(...)`` in ``f``, ``self.f(...)`` in a method
    ``f``)."""
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, FUNCTION_NODES):
            continue
        # the first self-call in source order (ast.walk is breadth-first)
        for node in sorted(ast.walk(fn), key=lambda n: (getattr(n, "lineno", 0),
                                                         getattr(n, "col_offset", 0))):
            callee = node.func if isinstance(node, ast.Call) else None
            name = callee.id if isinstance(callee, ast.Name) else (
                callee.attr if isinstance(callee, ast.Attribute)
                and isinstance(callee.value, ast.Name) and callee.value.id == "self" else None)
            if name == fn.name:
                found.append(Recursion(fn.name, fn.lineno, fn.end_lineno, node.lineno))
                break
    return found
