"""PyTorch's own graph modes beside eager: ``torch.compile`` (Dynamo's FX graphs and their
breaks), ``torch.export`` (one exported program, with the torch.cond rewrite where it refuses)
and TorchScript (``torch.jit.script``, deprecated, and ``torch.jit.trace``). Each gives its
graph as a ``Graph`` of its own framework, or a true reason in plain words naming the user's
line, and checks its outputs and gradients against eager. Imported by the worker only."""
from __future__ import annotations

import contextlib
import sys
import types

MODES = ("compile", "export", "torchscript")
SNIPPET_MODULE = "__snippet__"  # the __name__ snippet.load gives the user's module level


_CURRENT: list[dict] = []  # the namespace of the program a mode is running, innermost last


def _from_snippet(name: str) -> object:
    if _CURRENT and name in _CURRENT[-1]:
        return _CURRENT[-1][name]
    raise AttributeError(f"module {SNIPPET_MODULE!r} has no attribute {name!r}")


@contextlib.contextmanager
def snippet_module(namespace: dict):
    """The user's module level importable by its ``__name__`` while a mode runs: Dynamo
    imports a branch function's module when torch.cond traces it (and keeps the module it
    imported), so one module object answers from the namespace of the run in progress."""
    module = sys.modules.get(SNIPPET_MODULE)
    if getattr(module, "__getattr__", None) is not _from_snippet:
        module = types.ModuleType(SNIPPET_MODULE)
        module.__getattr__ = _from_snippet
        sys.modules[SNIPPET_MODULE] = module
    _CURRENT.append(namespace)
    try:
        yield module
    finally:
        _CURRENT.pop()


def view(mode: str, code: str, seed: int = 0, device: str = "cpu", **options) -> dict:
    """One mode's view of ``code`` (see each module's ``view``)."""
    if mode == "compile":
        from explorer.modes import compile as chosen
    elif mode == "export":
        from explorer.modes import export as chosen
    elif mode == "torchscript":
        from explorer.modes import torchscript as chosen
    else:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    return chosen.view(code, seed=seed, device=device, **options)
