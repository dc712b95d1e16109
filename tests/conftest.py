"""Shared fixtures: snippet files, and the repository root."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"
SNIPPETS = Path(__file__).parent / "snippets"


def example_paths() -> list[Path]:
    """The course's example snippets (../shared/examples) when present, else none."""
    return sorted(SHARED_EXAMPLES.glob("*.py")) if SHARED_EXAMPLES.is_dir() else []


def snippet_paths() -> list[Path]:
    return sorted(SNIPPETS.glob("*.py"))


@pytest.fixture
def root() -> Path:
    return ROOT
