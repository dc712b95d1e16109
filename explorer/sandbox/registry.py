"""The job table: what a worker can run, told to the sandbox by whoever owns the jobs.

The sandbox knows no job. A package of jobs builds one ``JobTable`` (its entry point, the
modules a warm template should import ahead of runs, the warm-up steps a spare runs on its
own code) as a module-level ``JOBS`` in a module of its own, and names that module with
``use``. The server hands the name to the template it starts (``--jobs``), which imports it;
nothing in the sandbox imports a job package by a name of its own."""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

JOBS_ENV = "EXPLORER_JOBS"   # a job table module for scripts that name none
ATTRIBUTE = "JOBS"            # the table's name in its module

_used: str | None = None


@dataclass(frozen=True)
class JobTable:
    """``dispatch(name, request) -> dict`` runs one job; ``preload``: modules a warm template
    imports before it forks (imports only: none may start a thread); ``warm_up``: named steps
    a spare runs after it is confined, each raising on failure (a failure only costs speed);
    ``template_warm_up``: named steps the template runs once, after its imports and before
    it forks, so that every worker starts with their first-use state (our own code only,
    raising on failure; none may leave a thread running, draw a random number or keep a
    user's data; they run on a thread of their own, so no autograd count reaches a worker);
    ``cacheable``: jobs whose answer is a function of their request (the scheduler shares
    identical runs and caches their answers; never a streaming job); ``precompute``: the
    ``(job, request)`` pairs a server computes once at its start (its lessons), so that they
    are cached before the first visitor asks."""

    dispatch: Callable[[str, dict], dict]
    preload: tuple[str, ...] = ()
    warm_up: tuple[tuple[str, Callable[[], None]], ...] = field(default=())
    template_warm_up: tuple[tuple[str, Callable[[], None]], ...] = field(default=())
    cacheable: frozenset[str] = frozenset()
    precompute: Callable[[], list[tuple[str, dict]]] | None = None


def use(module: str) -> None:
    """Name the module whose ``JOBS`` this process's runs use."""
    global _used
    _used = module


def module(explicit: str | None = None) -> str | None:
    """The job table module for a run: ``explicit``, else the one named with ``use``, else
    ``$EXPLORER_JOBS``; None when none is known (then only the sandbox's own self-test runs)."""
    return explicit or _used or os.environ.get(JOBS_ENV, "").strip() or None


def load(name: str | None) -> JobTable:
    """Import ``name`` and return its job table (LookupError when there is none)."""
    if not name:
        raise LookupError("no job table was named: a job package names its own with "
                          f"explorer.sandbox.registry.use(module), or set ${JOBS_ENV}")
    table = getattr(importlib.import_module(name), ATTRIBUTE, None)
    if not isinstance(table, JobTable):
        raise LookupError(f"{name}.{ATTRIBUTE} is not a JobTable")
    return table
