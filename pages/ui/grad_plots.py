"""Plots of gradients (plotly): a heatmap for a matrix, bars for a vector, a histogram for
anything large or of higher rank."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

BAR_LIMIT = 64          # a vector longer than this is a histogram
HEATMAP_LIMIT = 4096    # a matrix with more cells is a histogram


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title=dict(text=title, font=dict(size=13)), height=height,
                      margin=dict(l=10, r=10, t=34, b=10), template="plotly_white")
    return fig


def gradient_figure(values: list | None, title: str, height: int = 240) -> go.Figure | None:
    """The right picture for a gradient's values (None when they did not travel)."""
    if values is None:
        return None
    grad = np.asarray(values, dtype=np.float64)
    if grad.ndim == 2 and grad.size <= HEATMAP_LIMIT:
        bound = float(np.abs(grad).max()) or 1.0
        fig = go.Figure(go.Heatmap(z=grad, colorscale="RdBu", zmid=0, zmin=-bound, zmax=bound,
                                   colorbar=dict(thickness=10)))
        fig.update_yaxes(autorange="reversed", title="row")
        fig.update_xaxes(title="column")
        return _layout(fig, title, height)
    if grad.ndim <= 1 and grad.size <= BAR_LIMIT:
        flat = grad.reshape(-1)
        fig = go.Figure(go.Bar(x=list(range(flat.size)), y=flat,
                               marker_color=np.where(flat >= 0, "#2166ac", "#b2182b")))
        fig.update_xaxes(title="element")
        return _layout(fig, title, height)
    fig = go.Figure(go.Histogram(x=grad.reshape(-1), nbinsx=40, marker_color="#4a7ab5"))
    fig.update_xaxes(title="gradient value")
    fig.update_yaxes(title="elements")
    return _layout(fig, title, height)


def flow_figure(order: list[str], nodes: dict[str, dict], step: int) -> go.Figure:
    """The norm of the gradient each node sent back, in the order the engine ran them."""
    norms = [nodes[n].get("grad_norm") for n in order]
    ys = [v if isinstance(v, (int, float)) and v > 0 else None for v in norms]
    colors = ["#d93025" if i == step else ("#9ccc9c" if i < step else "#c9d3e0")
              for i in range(len(order))]
    fig = go.Figure(go.Bar(x=list(range(1, len(order) + 1)), y=ys, marker_color=colors,
                           hovertext=order, hoverinfo="text+y"))
    fig.update_yaxes(type="log", title="gradient norm")
    fig.update_xaxes(title="backward step")
    return _layout(fig, "Gradient norm out of each node, in backward order", 220)
