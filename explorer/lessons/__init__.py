"""Lesson presets: one snippet file per topic of the course (../shared/seeds).

A lesson is a valid snippet whose module docstring is its card: the first line is the
title, the rest says what to look at in the graphs. A lesson that teaches an error message
(its run fails on purpose) has a title that starts with ``Error:``. Files sort by their number
prefix."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
DEFAULT = "data_dependent_if"
ERROR_TITLE = "Error:"


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    text: str   # what to look at, in our own words
    code: str   # the snippet the editor shows: the file without its docstring
    teaches_error: bool = False  # its run fails on purpose, to show the message


def _parse(path: Path) -> Lesson:
    source = path.read_text()
    module = ast.parse(source)
    doc = ast.get_docstring(module) or path.stem
    code = source
    if ast.get_docstring(module) is not None:  # the card shows it; the editor shows code
        code = "\n".join(source.splitlines()[module.body[0].end_lineno:]).lstrip("\n") + "\n"
    title, _, text = doc.partition("\n")
    return Lesson(name=path.stem.split("_", 1)[1], title=title.strip(),
                  text=" ".join(text.split()), code=code,
                  teaches_error=title.startswith(ERROR_TITLE))


@cache
def all_lessons() -> tuple[Lesson, ...]:
    return tuple(_parse(p) for p in sorted(HERE.glob("[0-9][0-9]_*.py")))


def get(name: str) -> Lesson:
    for lesson in all_lessons():
        if lesson.name == name:
            return lesson
    raise KeyError(f"no lesson {name!r}; lessons: {', '.join(l.name for l in all_lessons())}")


def default() -> Lesson:
    return get(DEFAULT)
