"""Jobs: what a worker process does with one request. Each module ``explorer.jobs.<name>``
has ``run(request) -> dict`` returning JSON-able data with a ``status``. They run user code,
so only the worker imports them."""
from __future__ import annotations

import importlib
import pkgutil


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def dispatch(name: str, request: dict) -> dict:
    """Run job ``name`` (named ``dispatch``, not ``run``: ``explorer.jobs.run`` is a job)."""
    if name not in names():
        return {"status": "error", "message": f"unknown job {name!r}; known: {names()}"}
    return importlib.import_module(f"{__name__}.{name}").run(request)
