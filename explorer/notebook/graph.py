"""``explorer.graph(y)``: the autograd graph behind a live tensor, drawn in a notebook.

The same capture (``capture.torch``) and render (``render``: ghosted parameters, rolled
loops) as ``python -m explorer graph``; the leaves are named from the caller's namespace as
a snippet's would be (``runs.leaf_names``), so the same code draws the same graph.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from explorer import render
from explorer.graph import Graph
from explorer.notebook import html

FORMATS = ("svg", "png", "dot", "json")
CAPTION = ("Blue: parameters \u00b7 green: inputs \u00b7 orange: output \u00b7 dashed arrow: "
           "a tensor saved for backward")


class GraphView:
    """A captured graph and how to draw it (``view``: auto, full or rolled)."""

    def __init__(self, graph: Graph, view: str = "auto", title: str = "",
                 decoration: render.Decoration | None = None) -> None:
        if view not in render.VIEWS:
            raise ValueError(f"view must be one of {', '.join(render.VIEWS)}, not {view!r}")
        self.graph, self.mode, self.title, self.decoration = graph, view, title, decoration
        self._svg: str | None = None

    def view(self, mode: str) -> GraphView:
        """The same graph drawn ``rolled`` (repeated chains once, with x N) or ``full``."""
        return GraphView(self.graph, mode, self.title, self.decoration)

    def dot(self) -> str:
        return render.to_dot(self.graph, self.mode, decoration=self.decoration)

    def svg(self) -> str:
        if self._svg is None:
            self._svg = render.run_dot(self.dot(), "svg").decode()
        return self._svg

    def to_json(self) -> dict:
        return self.graph.to_json()

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        return html.document(self.box(key="graph"))

    def box(self, key: str, title: str | None = None, caption: str = CAPTION,
            highlight: dict[str, str] | None = None, height: int = 520) -> str:
        return html.graph_box(self.svg(), self.graph, key=key,
                              title=self.title if title is None else title, caption=caption,
                              highlight=highlight, height=height)

    def save(self, path: str | Path) -> Path:
        """Write the graph as ``.svg``, ``.png``, ``.dot`` or ``.json`` (by the suffix)."""
        path = Path(path)
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise ValueError(f"save() writes {', '.join('.' + f for f in FORMATS)}; "
                             f"{path.name!r} has none of them")
        if fmt == "json":
            path.write_text(self.graph.dumps(indent=1) + "\n")
        elif fmt == "dot":
            path.write_text(self.dot())
        elif fmt == "svg":
            path.write_text(self.svg())
        else:
            path.write_bytes(render.run_dot(self.dot(), "png"))
        return path

    def __repr__(self) -> str:
        return (f"<GraphView {self.graph.framework}: {self.graph.count('op')} ops, "
                f"view={self.mode}>")


def caller_scope() -> dict:
    """The names of the code that called the explorer (a notebook's globals, and the locals
    of a function that calls it): the first frame outside this package."""
    frame = inspect.currentframe()
    try:
        while frame is not None and str(frame.f_globals.get("__name__", "")).split(".")[0] \
                == "explorer":
            frame = frame.f_back
        return {**frame.f_globals, **frame.f_locals} if frame is not None else {}
    finally:
        del frame


def graph(y: Any, view: str = "auto", names: dict | None = None) -> GraphView:
    """The autograd graph behind ``y`` (a tensor, or a tuple of tensors). Leaves are named
    from ``names`` (default: the caller's globals and locals), as ``python -m explorer
    graph`` names a snippet's: layers' parameters by path, a plain tensor that needs no grad
    as an input."""
    import torch

    from explorer import snippet, values
    from explorer.capture.torch import capture
    from explorer.notebook import runs

    if not isinstance(y, torch.Tensor) and not (isinstance(y, (tuple, list)) and y and all(
            isinstance(t, torch.Tensor) for t in y)):
        raise TypeError(f"graph() takes a tensor or a tuple of tensors, not {type(y).__name__}")
    outputs = snippet.output_tensors(y)
    level, data_names, data = runs.leaf_names(caller_scope() if names is None else names)
    return GraphView(capture(outputs, values.leaves(level, data_names, data)), view)
