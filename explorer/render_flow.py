"""Gradient flow drawn on the autograd graph: style overrides that ``render`` merges.

Pure presentation over the ``grads`` job's JSON: no tensors, no torch. Edges get a pen width
and colour on a log scale of the gradient they carry backward (a norm of 1e-3 and one of 1e1
differ by four steps, not by ten thousand times); flagged gradients (vanishing, exploding,
NaN) get a style of their own that wins over the scale. The backward stepper marks nodes
done, current and pending.

Keys are the *model's* ids: an edge is ``(src, dst)`` of ``Graph.edges`` (forward direction),
a node is a ``Graph`` node id. ``render`` maps them onto what it draws (folded, ghosted or
rolled shapes); a line drawn for several model edges takes the widest one's style.
"""
from __future__ import annotations

import math

from explorer.gradients.flags import FLAG_TEXT, as_float

PEN_WIDTH = (0.8, 6.0)   # thinnest and widest line
# Light to dark blue: the colour repeats the width, so a thin dark line never reads as strong.
RAMP = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")
NO_GRADIENT = {"color": "#bbbbbb", "style": "dotted", "penwidth": "0.8"}
FLAG_EDGE_STYLE: dict[str, dict[str, str]] = {
    "vanishing": {"color": "#8e44ad", "style": "dashed"},
    "exploding": {"color": "#d35400", "style": "bold"},
    "nonfinite": {"color": "#c0392b", "style": "bold"},
}
FLAG_NODE_STYLE: dict[str, dict[str, str]] = {
    "vanishing": {"color": "#8e44ad", "penwidth": "2"},
    "exploding": {"color": "#d35400", "penwidth": "2.5"},
    "nonfinite": {"color": "#c0392b", "penwidth": "3"},
}
STEP_STYLE: dict[str, dict[str, str]] = {
    "done": {"fillcolor": "#e3f1e3"},
    "current": {"fillcolor": "#ffd54f", "color": "#b26a00", "penwidth": "3"},
    "pending": {},
}


def log_range(norms: list[float | str | None]) -> tuple[float, float]:
    """log10 of the smallest and largest positive finite norm (0, 0 when there is none)."""
    logs = [math.log10(v) for v in map(as_float, norms)
            if v is not None and math.isfinite(v) and v > 0]
    return (min(logs), max(logs)) if logs else (0.0, 0.0)


def position(norm: float | str | None, lo: float, hi: float) -> float | None:
    """Where ``norm`` sits between ``10**lo`` and ``10**hi`` on a log scale, in [0, 1]."""
    value = as_float(norm)
    if value is None or not math.isfinite(value):
        return None
    if value <= 0:
        return 0.0
    return 0.5 if hi <= lo else min(1.0, max(0.0, (math.log10(value) - lo) / (hi - lo)))


def _tooltip(norm: float | str | None, flag: str | None) -> str:
    value = as_float(norm)
    text = "no gradient flowed" if value is None else f"gradient norm {value:.3g}"
    return f"{text}; {FLAG_TEXT[flag]}" if flag else text


def edge_styles(edges: list[dict], scale: tuple[float, float] | None = None,
                ) -> dict[tuple[str, str], dict[str, str]]:
    """``(src, dst)`` -> DOT attributes, from the job's ``edges`` (``grad_norm``, ``flag``).

    ``scale`` (log10 of the thinnest and widest norm) defaults to this run's range; a page
    dragging a slider can pass the first run's range so widths stay comparable."""
    lo, hi = scale if scale is not None else log_range([e["grad_norm"] for e in edges])
    styles = {}
    for edge in edges:
        norm, flag = edge["grad_norm"], edge.get("flag")
        p = position(norm, lo, hi)
        if p is None and flag is None:
            style = dict(NO_GRADIENT)
        else:
            p = 1.0 if p is None else p  # NaN or infinity: as loud as the loudest
            style = {"penwidth": f"{PEN_WIDTH[0] + p * (PEN_WIDTH[1] - PEN_WIDTH[0]):.2f}",
                     "color": RAMP[min(int(p * len(RAMP)), len(RAMP) - 1)]}
            style.update(FLAG_EDGE_STYLE.get(flag or "", {}))
        style["tooltip"] = _tooltip(norm, flag)
        styles[(edge["src"], edge["dst"])] = style
    return styles


def node_styles(nodes: dict[str, dict]) -> dict[str, dict[str, str]]:
    """Node id -> DOT attributes: flagged nodes get a coloured border and a tooltip."""
    return {node_id: {**FLAG_NODE_STYLE.get(n.get("flag") or "", {}),
                      "tooltip": f"{n['op']}: {_tooltip(n.get('grad_norm'), n.get('flag'))}"}
            for node_id, n in nodes.items()}


def step_styles(order: list[str], step: int) -> dict[str, dict[str, str]]:
    """The backward stepper at ``step``: nodes already run, the one running, the rest."""
    return {node_id: dict(STEP_STYLE["done" if k < step else
                                     "current" if k == step else "pending"])
            for k, node_id in enumerate(order)}


def merge(*maps: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Per-node style maps laid over each other, later maps winning attribute by attribute
    (flags first, then the stepper's marks)."""
    out: dict[str, dict[str, str]] = {}
    for styles in maps:
        for node_id, style in styles.items():
            out[node_id] = {**out.get(node_id, {}), **style}
    return out
