"""Imports point down (DESIGN.md, "Layers"): pages -> jobs -> engine; the engine never imports
a job; only the app and its pages import streamlit; modules stay small. Read from the sources
with ``ast``, so a lazy import inside a function counts as much as one at the top."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("explorer/**/*.py"), *ROOT.glob("pages/**/*.py")])
CORPUS = ROOT / "explorer" / "twin" / "corpus"  # snippets users would write, not our code
LESSONS = ROOT / "explorer" / "lessons"
OURS = [p for p in SOURCES if CORPUS not in p.parents and LESSONS not in p.parents]
MAX_LINES = 400


def imports(path: Path) -> set[str]:
    return imports_of(path.read_text(), ".".join(path.relative_to(ROOT).parts[:-1]))


def imports_of(text: str, package: str) -> set[str]:
    """Every module ``text`` imports, absolute names (``from . import x`` resolved)."""
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


ENGINE = [p for p in OURS if _name(p).startswith("explorer/")
          and not _name(p).startswith(("explorer/jobs/", "explorer/commands/"))
          and _name(p) not in ("explorer/__main__.py", "explorer/app.py")]  # the entries


@pytest.mark.parametrize("path", ENGINE, ids=_name)
def test_the_engine_imports_no_job(path: Path) -> None:
    assert not {m for m in imports(path) if m == "explorer.jobs" or m.startswith("explorer.jobs.")}


@pytest.mark.parametrize("path", [p for p in OURS if _name(p).startswith("explorer/")
                                  and _name(p) != "explorer/app.py"], ids=_name)
def test_only_the_app_and_pages_import_streamlit(path: Path) -> None:
    assert not {m for m in imports(path) if m.split(".")[0] == "streamlit"}


@pytest.mark.parametrize("path", [p for p in OURS if _name(p).startswith("pages/")], ids=_name)
def test_pages_import_neither_torch_nor_tensorflow(path: Path) -> None:
    assert not {m for m in imports(path) if m.split(".")[0] in ("torch", "tensorflow")}


@pytest.mark.parametrize("path", OURS, ids=_name)
def test_no_module_is_over_the_size_limit(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_import_reader_sees_lazy_and_relative_imports() -> None:
    """The reader above against a module written here by hand."""
    text = ("import torch.nn as nn\n\n\ndef f():\n    from explorer.jobs import graph\n"
            "    from . import limits\n    from ..twin import run\n")
    assert imports_of(text, "explorer.sandbox") == {
        "torch.nn", "explorer.jobs", "explorer.jobs.graph", "explorer.sandbox",
        "explorer.sandbox.limits", "explorer.twin", "explorer.twin.run"}
