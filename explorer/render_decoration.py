"""What a page paints over a drawing: extra label lines and DOT attributes, by model node."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Decoration:
    """What a page paints over a drawing, keyed by model node ids: extra label lines
    (branch counts on an ``If``), extra DOT attributes for nodes and for edges (gradient
    flow as edge width and colour)."""

    node_lines: dict[str, list[str]] = field(default_factory=dict)
    node_style: dict[str, dict[str, str]] = field(default_factory=dict)
    edge_style: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def style_of_line(self, line: Any) -> dict[str, str]:
        """A ``render.Line`` drawn for many model edges (a rolled loop) takes the widest
        one's style."""
        styles = [self.edge_style[e] for e in line.edges if e in self.edge_style]
        return max(styles, key=lambda st: float(st.get("penwidth", 0)), default={})

    def style_of_shape(self, shape: Any, alias: dict[str, str]) -> dict[str, str]:
        """A folded AccumulateGrad's style goes to the leaf drawn in its place."""
        style: dict[str, str] = {}
        for node, drawn_as in alias.items():
            if drawn_as == shape.node:
                style.update(self.node_style.get(node, {}))
        return {**style, **self.node_style.get(shape.node, {})}
