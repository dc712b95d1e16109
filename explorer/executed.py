"""The executed path of one run: which lines of the user's code ran, how often, which arm of
each ``if`` was taken and how many times each loop went round.

``LineTracer`` runs in the worker (a ``sys.settrace`` function that only looks at frames of the
snippet); ``control_flow`` runs anywhere: it reads the code's syntax tree and the line counts,
never executing anything.
"""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import asdict, dataclass


class LineTracer:
    """Counts ``line`` events in frames of the snippet; other frames are not traced at all.

    ``filename`` is the one the snippet was compiled under (``snippet.SNIPPET_FILE``); this
    module stays free of torch, so the app can read traces without loading it."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.hits: Counter[int] = Counter()
        self.calls: Counter[int] = Counter()  # first line of a code object -> frames entered
        # The steps of define-by-run: the line of every line event, in order, and for each
        # frame running now the step it is at (an op made there belongs to that step, even
        # after a call it made has run steps of its own).
        self.steps: list[int] = []
        self.current: dict[int, int] = {}  # id() of a live frame -> index in steps

    def __call__(self, frame, event, arg):  # the signature sys.settrace asks for
        if frame.f_code.co_filename != self.filename:
            return None
        if event == "line":
            self.hits[frame.f_lineno] += 1
            self.current[id(frame)] = len(self.steps)
            self.steps.append(frame.f_lineno)
        elif event == "call":
            self.calls[frame.f_code.co_firstlineno] += 1
        elif event == "return":
            self.current.pop(id(frame), None)  # the id may be reused by a later frame
        return self

    def to_json(self) -> dict:
        """Line and call counts with string keys, as JSON needs."""
        return {"lines": {str(k): n for k, n in sorted(self.hits.items())},
                "calls": {str(k): n for k, n in sorted(self.calls.items())}}


@dataclass
class Branch:
    """One control-flow statement and what the run did there."""

    line: int
    kind: str            # if | while | for | call
    text: str            # the statement's first line, stripped
    runs: int = 0        # times the statement was reached (if/while/for) or called (call)
    then: int = 0        # if: times the body ran
    orelse: int = 0      # if: times the else arm (or nothing) ran
    iterations: int = 0  # while/for: times the body ran, over all runs of the statement

    def summary(self) -> str:
        if self.kind == "if":
            if not self.runs:
                return "not reached"
            arms = [f"then \u00d7{self.then}" if self.then else "",
                    f"else \u00d7{self.orelse}" if self.orelse else ""]
            return "took " + ", ".join(a for a in arms if a)
        if self.kind in ("while", "for"):
            if not self.runs:
                return "not reached"
            entries = f" over {self.runs} entries" if self.runs > 1 else ""
            return f"{self.iterations} iteration{'s' * (self.iterations != 1)}{entries}"
        return f"called {self.runs}\u00d7" if self.runs else "never called"

    def to_json(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


def _first_line(body: list[ast.stmt]) -> int | None:
    return body[0].lineno if body else None


def control_flow(code: str, trace: dict) -> list[Branch]:
    """Every if/while/for and function of ``code`` with what the traced run did there
    (``trace`` as ``LineTracer.to_json`` gives it)."""
    counts = {int(line): n for line, n in trace.get("lines", {}).items()}
    calls = {int(line): n for line, n in trace.get("calls", {}).items()}
    lines = code.splitlines()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    branches = []
    for node in ast.walk(tree):
        text = lines[node.lineno - 1].strip() if hasattr(node, "lineno") else ""
        if isinstance(node, ast.If):
            reached = counts.get(node.lineno, 0)
            then = counts.get(_first_line(node.body), 0)
            orelse = counts.get(_first_line(node.orelse), 0) if node.orelse else reached - then
            # An elif shares its line with nothing else; clamp for lines hit by several
            # statements written on one line.
            branches.append(Branch(node.lineno, "if", text, reached, then, max(orelse, 0)))
        elif isinstance(node, (ast.While, ast.For)):
            kind = "while" if isinstance(node, ast.While) else "for"
            body = counts.get(_first_line(node.body), 0)
            header = counts.get(node.lineno, 0)
            # The header line runs once per test: iterations + 1 per entry (- breaks).
            entries = max(header - body, 1 if body else 0)
            branches.append(Branch(node.lineno, kind, text, entries, iterations=body))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "inputs":
            # inputs() runs before forward, outside the traced call.
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            branches.append(Branch(node.lineno, "call", text, calls.get(first, 0)))
    return sorted(branches, key=lambda b: b.line)


def line_notes(code: str, trace: dict) -> dict[int, str]:
    """A short note per line for the editor's gutter: times run, arm taken, iterations."""
    notes = {int(line): f"ran {n}\u00d7" for line, n in trace.get("lines", {}).items()}
    for branch in control_flow(code, trace):
        if branch.kind != "call":
            notes[branch.line] = f"{branch.kind}: {branch.summary()}"
    return notes


@dataclass(frozen=True)
class LoopStep:
    """Where one executed-line step is in the innermost loop around its line."""

    loop: int        # the loop's header line
    iteration: int   # 1-based; at the header, the iteration it is about to start
    of: int          # iterations of this entry of the loop
    header: bool     # the step is the loop's test (for/while line), not its body

    def text(self) -> str:
        where = f"the loop at line {self.loop}"
        if not self.header:
            return f"iteration {self.iteration} of {self.of} of {where}"
        if self.iteration > self.of:
            return f"{where} ends after {self.of} iteration{'s' * (self.of != 1)}"
        return f"{where} starts iteration {self.iteration} of {self.of}"


def _loops(code: str) -> list[tuple[int, int, int, tuple[int, int]]]:
    """(header line, body's first line, body's last line, the enclosing function's lines)
    of every for/while whose body starts on a line of its own."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    out = []

    def visit(node: ast.AST, scope: tuple[int, int]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = (child.lineno, child.end_lineno or child.lineno)
            elif isinstance(child, (ast.For, ast.While)) and child.body[0].lineno > child.lineno:
                out.append((child.lineno, child.body[0].lineno,
                            child.body[-1].end_lineno or child.body[-1].lineno, scope))
            visit(child, inner)

    visit(tree, (1, len(code.splitlines())))
    return out


def loop_steps(code: str, lines: list[int]) -> list[LoopStep | None]:
    """For each executed line of ``lines`` (``graph.steps`` in order), its iteration of the
    innermost loop of ``code`` holding that line, or None outside loops.

    An *entry* of a loop starts where its header runs after a step of the same function
    outside the loop; the body's first line right after the test starts an iteration. Steps
    of other functions (a call made in the body) do not end an entry."""
    best: list[tuple[int, LoopStep] | None] = [None] * len(lines)
    for header, first, last, (lo, hi) in _loops(code):
        entries: list[list[int]] = []
        inside = False
        for index, line in enumerate(lines):
            if not lo <= line <= hi:
                continue  # another function's step
            if header <= line <= last:
                if not inside:
                    entries.append([])
                entries[-1].append(index)
            inside = header <= line <= last
        for entry in entries:
            # an iteration starts where the body's first line follows the test
            starts = [k > 0 and lines[i] == first and lines[entry[k - 1]] == header
                      for k, i in enumerate(entry)]
            total, done = sum(starts), 0
            for index, start in zip(entry, starts):
                done += start
                at_header = lines[index] == header
                step = LoopStep(header, done + 1 if at_header else done, total, at_header)
                span = last - header
                if best[index] is None or span < best[index][0]:
                    best[index] = (span, step)
    return [b[1] if b else None for b in best]
