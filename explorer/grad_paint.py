"""Gradients on the picture, micrograd-style: each node's gradient printed in it, and its
fill coloured by the gradient's size on a log scale, from the ``grads`` job's ``nodes``.

A node's gradient here is the one flowing *into* it in backward (``grad_in``: the gradient of
the loss with respect to the node's forward output), so it sits beside the node's forward
value: ``μ 0.12 [-1.5, 1.3]`` and ``∇ μ 0.01 [-0.2, 0.3]`` describe the same tensor and its
gradient. An ``AccumulateGrad`` node's gradient is its leaf's ``.grad``: it is printed on the
leaf, which the drawing shows in its place. Pure presentation: no torch.
"""
from __future__ import annotations

import math
from typing import Any

from explorer.gradients.flags import as_float
from explorer.graph import Graph
from explorer.render_flow import log_range, position

# Pale to deep orange: apart from the blue of parameters and the blue of gradient edges.
FILLS = ("#fff7d6", "#ffe8a3", "#fdd06b", "#fbb045", "#f28c28", "#e0661b")
NO_GRADIENT_FILL = "#f4f4f4"


def norm_of(parts: list[Any]) -> float | None:
    """The norm of several gradients together (``gradients.stats.norm_of``, which imports
    torch: the page does not)."""
    known = [as_float(p) for p in parts if p is not None]
    return math.sqrt(sum(p * p for p in known)) if known else None


def _number(value: Any) -> str:
    value = as_float(value)
    return "-" if value is None else f"{value:.3g}"


def _summaries(graph: Graph, nodes: dict[str, dict]) -> dict[str, list[dict]]:
    """Drawn node id -> the summaries of the gradients flowing into it."""
    incoming = graph.inputs_of()
    out: dict[str, list[dict]] = {}
    for node_id, entry in nodes.items():
        grads = [g for g in entry.get("grad_in") or [] if g]
        if not grads:
            continue
        if entry.get("op") == "AccumulateGrad" and incoming.get(node_id):
            node_id = incoming[node_id][0].src  # the leaf, drawn for it
        out[node_id] = grads
    return out


def grad_norms(graph: Graph, nodes: dict[str, dict]) -> dict[str, float | str | None]:
    """Drawn node id -> the norm of the gradient flowing into it (all outputs together)."""
    return {n: norm_of([g.get("norm") for g in grads])
            for n, grads in _summaries(graph, nodes).items()}


def grad_lines(graph: Graph, nodes: dict[str, dict]) -> dict[str, list[str]]:
    """Drawn node id -> its gradient's label line: ``∇ = 0.5`` for one number, else
    ``∇ μ mean [min, max]``; a node with several outputs gives its gradients' norm."""
    out = {}
    for node_id, grads in _summaries(graph, nodes).items():
        if len(grads) > 1:
            norm = norm_of([g["norm"] for g in grads])
            out[node_id] = [f"\u2207 \u2016\u00b7\u2016 {_number(norm)}"]
            continue
        g = grads[0]
        if g.get("numel") == 1:
            out[node_id] = [f"\u2207 = {_number(g.get('mean'))}"]
        else:
            out[node_id] = [f"\u2207 \u03bc {_number(g.get('mean'))} "
                            f"[{_number(g.get('min'))}, {_number(g.get('max'))}]"]
    return out


def grad_fills(graph: Graph, nodes: dict[str, dict]) -> tuple[dict[str, dict[str, str]], str]:
    """Drawn node id -> a fill by the size of its gradient (log scale over this run), and the
    legend's caption: which norm the palest and the deepest fill stand for."""
    norms = grad_norms(graph, nodes)
    lo, hi = log_range(list(norms.values()))
    styles = {}
    for node_id, norm in norms.items():
        p = position(norm, lo, hi)
        value = as_float(norm)
        if p is None and value is not None and not math.isfinite(value):
            p = 1.0  # NaN or infinity: as deep as the largest
        fill = NO_GRADIENT_FILL if p is None else FILLS[min(int(p * len(FILLS)),
                                                            len(FILLS) - 1)]
        styles[node_id] = {"fillcolor": fill, "tooltip": f"gradient norm {_number(norm)}"}
    legend = (f"Fill by the norm of the gradient flowing into each node, log scale: palest "
              f"{10 ** lo:.2g}, deepest {10 ** hi:.2g} (grey: none flowed)") if norms else ""
    return styles, legend
