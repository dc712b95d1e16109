"""Graph Explorer. In a notebook: ``explorer.graph(y)``, ``explorer.show(fn, *args)`` and
``explorer.compare(fn, inputs_a, inputs_b)``.

``import explorer`` imports nothing heavy: the calls are looked up on first use (PEP 562),
torch comes with them and TensorFlow only with ``show``'s twin. ``explorer.graph`` and
``explorer.compare`` are also modules of the engine (``explorer.graph.Graph``), so those two
modules are made callable: calling one is the notebook's call of that name.
"""
from __future__ import annotations

import types
from typing import Any

from explorer import compare as _compare_model  # the Compare-inputs display model: light
from explorer import graph as _graph_model  # the graph model: json, dataclasses

NOTEBOOK = ("show", "GraphView", "ShowView")
__all__ = ["compare", "graph", *NOTEBOOK]


class _CallableModule(types.ModuleType):
    """A module of the engine that is also the notebook call of the same name:
    ``explorer.graph`` (``explorer.graph.Graph``, and ``explorer.graph(y)``) and
    ``explorer.compare``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from explorer import notebook

        return getattr(notebook, self.__name__.rsplit(".", 1)[-1])(*args, **kwargs)


_graph_model.__class__ = _CallableModule
_compare_model.__class__ = _CallableModule


def __getattr__(name: str) -> Any:
    if name in NOTEBOOK:
        from explorer import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *NOTEBOOK])
