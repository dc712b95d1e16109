"""What the page computes from a graph, kept on the graph for the reruns that draw it again.

A result's graphs are parsed once (``graph_panel.graph_of``) and stay the same objects while
the page shows that result, so each rerun (a click, a toggle, a partial result's next part)
can reuse what an earlier one derived from them: its digest, its module boxes. The pages only
read the graphs, so nothing kept here goes stale. Figures: a 13,009-op twin's module calls and
boxes took 1.4 s a rerun, its digest 0.1 s each time it was asked for."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from explorer.graph import Graph

T = TypeVar("T")
_SLOT = "_explorer_memo"


def memo(graph: Graph, key: Hashable, make: Callable[[], T], *keep: Any) -> T:
    """``make()`` once per ``key`` for this graph object. ``keep``: objects ``key`` names by
    identity (``id``), held with the value so that their ids stay theirs."""
    kept = vars(graph).setdefault(_SLOT, {})
    found = kept.get(key)
    if found is None:
        found = (make(), keep)
        kept[key] = found
    return found[0]
