"""The twin's coverage corpus: course-style snippets, each declaring what the twin should do.

Each file is a snippet (DESIGN.md, "The snippet contract") whose first comment lines are its
header: ``# family: NAME`` (the torch.nn family or construct it exercises), ``# expect:
equivalent`` or ``# expect: no-twin REASON`` (a key of ``explorer.twin.REASONS``), and
``# dynamic: yes`` where its control flow depends on tensor values. A no-twin snippet marks the
line its message must name with a trailing ``# <- no twin`` comment. Headers are comments, not
a docstring, so a line of the file is the same line of the snippet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
MARKER = "# <- no twin"
HEADER = re.compile(r"^# (family|expect|dynamic): (.+)$")


@dataclass(frozen=True)
class Entry:
    """One corpus snippet and its declared expectation."""

    name: str
    family: str
    expect: str              # "equivalent" or "no-twin"
    reason: str | None       # the no-twin reason key
    line: int | None         # the line a no-twin message must name
    dynamic: bool            # control flow that depends on tensor values
    code: str


def parse(name: str, code: str) -> Entry:
    """The entry of snippet ``code``; ValueError if its header is incomplete."""
    fields: dict[str, str] = {}
    for text in code.splitlines():
        found = HEADER.match(text)
        if not found:
            break
        fields[found.group(1)] = found.group(2).strip()
    if "family" not in fields or "expect" not in fields:
        raise ValueError(f"corpus snippet {name} lacks a '# family:' or '# expect:' header")
    expect, _, reason = fields["expect"].partition(" ")
    if expect not in ("equivalent", "no-twin") or (expect == "no-twin") != bool(reason):
        raise ValueError(f"corpus snippet {name}: bad expectation {fields['expect']!r}")
    marked = [i for i, text in enumerate(code.splitlines(), 1) if text.endswith(MARKER)]
    return Entry(name=name, family=fields["family"], expect=expect, reason=reason or None,
                 line=marked[0] if marked else None, dynamic=fields.get("dynamic") == "yes",
                 code=code)


@cache
def entries() -> tuple[Entry, ...]:
    """Every corpus snippet, by file name."""
    return tuple(parse(p.stem, p.read_text()) for p in sorted(HERE.glob("[a-z]*.py")))


def get(name: str) -> Entry:
    for entry in entries():
        if entry.name == name:
            return entry
    raise KeyError(f"no corpus snippet {name!r}")
