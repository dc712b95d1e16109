"""Every third-party package the app and the engine import is pinned in requirements.txt, so a
clean machine (CI, a new host) gets what this one has. A package installed here by hand and
never written down is the failure this catches."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"explorer", "pages", "tests", "bench"}


def imported_top_levels(folders: list[str]) -> dict[str, str]:
    """Top-level module name -> one file that imports it (absolute imports only)."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if (path.parent / f"{top}.py").exists():
                        continue  # a script's sibling (a bench imports another bench)
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def pinned(requirements: str) -> set[str]:
    names = set()
    for line in (ROOT / requirements).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[=<>!~\[; ]", line)[0].lower().replace("_", "-"))
    return names


def unpinned(folders: list[str], requirements: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, where in sorted(imported_top_levels(folders).items()):
        if module in sys.stdlib_module_names or module in OURS or module == "__future__":
            continue
        dists = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        if not dists & requirements:
            missing.append(f"{module} (imported in {where}; installed from {sorted(dists)})")
    return missing


def test_the_app_and_engine_import_only_pinned_packages():
    assert unpinned(["explorer", "pages"], pinned("requirements.txt")) == []


def test_tests_and_benchmarks_import_only_pinned_packages():
    every = pinned("requirements.txt") | pinned("requirements-dev.txt")
    assert unpinned(["tests", "bench"], every) == []


def test_the_check_finds_a_package_that_is_not_pinned():
    assert any(m.startswith("plotly") for m in unpinned(["pages"], {"streamlit"}))
