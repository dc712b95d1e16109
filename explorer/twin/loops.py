"""Python loops that ``break`` or ``return`` on a tensor condition, rewritten into what
AutoGraph accepts: a guard flag.

AutoGraph unrolls a ``for`` over a list, a ModuleList or a range while tracing, and refuses a
``break``/``return`` inside it that depends on a tensor ("not supported in Python for loops"):
the number of steps would have to be known before the values are. The rewrite keeps every step
and skips the rest once the flag is set, so the static graph holds an If per unrolled step::

    h = x; stopped = False                  # the flag starts on the line before the loop
    for layer in layers:
        if not stopped: h = layer(h)        # every step runs only until the flag is set
        if not stopped and (h.norm() > 5):
            stopped = True                  # was: break (or: return h)

A ``return v`` in the loop sets the flag too; the function's ``return e`` after the loop
becomes ``return v if stopped else (e)``: ``v`` is computed after the loop, where what it reads
still holds the values of the step that returned, since every later statement was skipped.
Every edit stays on its own line, so line N of the twin is still line N of the snippet. A loop
over a tensor needs none of this: AutoGraph makes it a While op with the break in its
condition. Pure text: no torch, no TensorFlow.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from explorer.twin.kinds import TENSOR, Kinds
from explorer.twin.limits import NoTwin
from explorer.twin.scope import FUNCTION_NODES

SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Delete, ast.Assert,
          ast.Raise)
NESTED_SCOPES = (*FUNCTION_NODES, ast.Lambda, ast.ClassDef)
LOOPS = (ast.For, ast.While, ast.AsyncFor)


@dataclass
class Edit:
    """Text put around a node's own translation, or in its place."""

    before: str = ""
    after: str = ""
    replace: str | None = None
    returned: ast.expr | None = None  # its TF text stands for ``{returned}`` in ``before``


def _exits(loop: ast.For) -> list[ast.stmt]:
    """The loop's own ``break`` and ``return`` statements (not those of inner loops or
    functions), each with the ``if`` tests above it inside the loop."""
    found, stack = [], [(s, ()) for s in reversed(loop.body)]
    while stack:
        node, tests = stack.pop()
        if isinstance(node, (ast.Break, ast.Return)):
            found.append((node, tests))
            continue
        if isinstance(node, NESTED_SCOPES):
            continue
        if isinstance(node, LOOPS):  # its breaks are its own; a return still leaves ours
            inner = [s for s in ast.walk(node) if isinstance(s, ast.Return)]
            found += [(r, (*tests, node)) for r in inner]
            continue
        inner_tests = (*tests, node.test) if isinstance(node, (ast.If, ast.While)) else tests
        for child in reversed(list(ast.iter_child_nodes(node))):
            if isinstance(child, ast.stmt):
                stack.append((child, inner_tests))
    return found


class LoopPlan:
    """The edits for every loop of a snippet that needs the guard flag."""

    def __init__(self, kinds: Kinds) -> None:
        self.kinds = kinds
        self.edits: dict[ast.AST, Edit] = {}
        self.problems: list[NoTwin] = []
        self.flags: dict[ast.AST, set[str]] = {}  # function -> the flags it has
        self.used = {n.id for n in ast.walk(kinds.tree) if isinstance(n, ast.Name)}
        for node in ast.walk(kinds.tree):
            if isinstance(node, ast.For) and kinds.kind(node.iter) != TENSOR:
                exits = [(s, tests) for s, tests in _exits(node)
                         if any(self._tensor(t) for t in tests)]
                if exits:
                    self._plan(node, exits)

    def _tensor(self, test: ast.AST) -> bool:
        """Whether an ``if`` test above an exit depends on a tensor (an inner loop: no)."""
        return not isinstance(test, LOOPS) and any(
            self.kinds.is_tensor(n) for n in ast.walk(test) if isinstance(n, ast.expr))

    def _flag(self, function: ast.AST) -> str:
        """``stopped``, or ``stopped2``... where the function has one already."""
        taken = self.flags.setdefault(function, set())
        name, n = "stopped", 1
        while name in self.used or name in taken:
            n += 1
            name = f"stopped{n}"
        taken.add(name)
        return name

    def _refuse(self, node: ast.AST, why: str) -> None:
        self.problems.append(self.kinds.no_twin(node, why, "loop_exit"))

    def _plan(self, loop: ast.For, exits: list) -> None:
        function = self.kinds.owner.get(loop)
        block = self._block(loop)
        returns = [s for s, _ in exits if isinstance(s, ast.Return)]
        if loop.orelse:
            return self._refuse(loop, "a break on a tensor condition in a for loop with else")
        if any(isinstance(t, LOOPS) for _, tests in exits for t in tests):
            return self._refuse(returns[0], "a return on a tensor condition inside nested loops")
        values = {ast.dump(r.value) if r.value else "" for r in returns}
        target = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
        if returns and (len(values) > 1 or returns[0].value is None or block is None
                        or block is not getattr(function, "body", None)
                        or not isinstance(block[-1], ast.Return)
                        or any(isinstance(n, ast.Name) and n.id in target
                               for n in ast.walk(returns[0].value))):
            return self._refuse(returns[0], "a return on a tensor condition inside a for loop "
                                "(the twin rewrites one returned value, not naming the loop's "
                                "variable, in a loop at the top of a function that ends with a "
                                "return)")
        flag = self._flag(function)
        if not self._start(loop, block, function, flag):
            return self._refuse(loop, "a break on a tensor condition in a for loop with no "
                                "statement before it to start the flag on")
        for node, _ in exits:
            self.edits[node] = Edit(replace=f"{flag} = True")
        first_exit = min(node.lineno for node, _ in exits)
        self._guard(loop.body, flag, first_exit)
        if returns:  # what the loop returned is computed after it: nothing it reads changes
            after = block[block.index(loop) + 1:]
            self._guard(after, flag, 0, returned=returns[0].value)

    def _block(self, node: ast.stmt) -> list[ast.stmt] | None:
        parent = self.kinds.owner.get(node)
        for candidate in ast.walk(parent) if parent is not None else ():
            for field in ("body", "orelse", "finalbody"):
                block = getattr(candidate, field, None)
                if isinstance(block, list) and node in block:
                    return block
        return None

    def _start(self, loop: ast.For, block: list | None, function: ast.AST, flag: str) -> bool:
        """``flag = False`` on the line before the loop: after the statement before it, or
        as a parameter of the function whose body the loop starts."""
        index = block.index(loop) if block else -1
        if index > 0 and block[index - 1] in self.edits:
            return False  # the statement before is itself skipped once an outer flag is set
        if index > 0 and isinstance(block[index - 1], (*SIMPLE, ast.Pass)):
            self.edits[block[index - 1]] = Edit(after=f"; {flag} = False")
            return True
        args = getattr(function, "args", None)
        if index != 0 or block is not getattr(function, "body", None) or args is None \
                or args.kwarg is not None:
            return False
        last = [*args.posonlyargs, *args.args, *args.defaults, *([args.vararg] * bool(
            args.vararg)), *args.kwonlyargs, *[d for d in args.kw_defaults if d is not None]]
        if not last:
            return False
        end = max(last, key=lambda n: (n.end_lineno, n.end_col_offset))
        self.edits[end] = Edit(after=f", {flag}=False")
        return True

    def _guard(self, body: list[ast.stmt], flag: str, first_exit: int,
               returned: ast.expr | None = None) -> None:
        """Skip what runs once the flag is set: every statement of ``body`` and, below it,
        what comes after the first exit (or sits in an inner loop's body)."""
        stack = [(s, True) for s in body]
        while stack:
            node, always = stack.pop()
            if node in self.edits and self.edits[node].replace is not None:
                continue
            if isinstance(node, ast.Return) and returned is not None:
                if node.value is not None and ast.dump(node.value) != ast.dump(returned):
                    self.edits[node.value] = Edit(before=f"{{returned}} if {flag} else (",
                                                  after=")", returned=returned)
                continue
            guard = always or node.lineno > first_exit
            if isinstance(node, SIMPLE) and guard:
                self.edits[node] = Edit(before=f"if not {flag}: ")
            elif isinstance(node, (ast.If, ast.While)):
                if guard:
                    self.edits[node.test] = Edit(before=f"not {flag} and (", after=")")
                stack += [(s, False) for s in (*node.body, *node.orelse)]
            elif isinstance(node, (ast.For, ast.With, ast.Try)):
                inner = isinstance(node, ast.For)  # its header cannot hold the flag
                stack += [(s, inner) for s in node.body]
                stack += [(s, False) for s in getattr(node, "orelse", [])]
