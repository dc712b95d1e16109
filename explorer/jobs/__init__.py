"""Jobs: what a worker process does with one request. Each module ``explorer.jobs.<name>``
has ``run(request) -> dict`` returning JSON-able data with a ``status``. They run user code,
so only the worker imports them.

The sandbox knows no job: a process that runs them names this package's table to it
(``sandbox.registry.use(jobs.TABLE)``), and the server hands that name to the template it
starts, which imports it."""
from __future__ import annotations

import importlib
import pkgutil

TABLE = f"{__name__}.table"  # the module whose JOBS the sandbox's workers load
INTERNAL = ("table", "warmup")  # modules of this package that are not jobs


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_") and m.name not in INTERNAL)


def dispatch(name: str, request: dict) -> dict:
    """Run job ``name`` (named ``dispatch``, not ``run``: ``explorer.jobs.run`` is a job)."""
    if name not in names():
        return {"status": "error", "message": f"unknown job {name!r}; known: {names()}"}
    return importlib.import_module(f"{__name__}.{name}").run(request)

