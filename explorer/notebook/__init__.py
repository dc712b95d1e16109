"""The explorer in a notebook: ``graph(y)``, ``show(fn, *args)`` and ``compare(fn, a, b)``
on the user's own live objects, in their own kernel (no sandbox, no snippet file)."""
from __future__ import annotations

from explorer.notebook.compare import compare
from explorer.notebook.graph import GraphView, graph
from explorer.notebook.show import ShowView, show

__all__ = ["GraphView", "ShowView", "compare", "graph", "show"]
