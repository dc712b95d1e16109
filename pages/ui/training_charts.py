"""The training page's charts, as plotly figures built from a run's records: curves (this run
bold, earlier runs faint), gradient norms per layer, the decision boundary, speed. Plain
functions of plain data, sized for a projector."""
from __future__ import annotations

import plotly.graph_objects as go

COLORS = {"torch": "#e8461e", "tf": "#1565c0"}  # PyTorch's orange-red, a TF-ish blue
NAMES = {"torch": "PyTorch eager", "tf": "tf.function twin"}
DASH = {"torch": "solid", "tf": "dash"}
LAYER_COLORS = ["#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e", "#283593",
                "#9e9d24"]
SPEED_COLORS = {"torch eager": "#e8461e", "torch.compile": "#f4a582", "TF eager": "#92c5de",
                "tf.function": "#1565c0"}
FONT = 17
HEIGHT = 360


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": FONT + 3}}, height=height,
        template="plotly_white", font={"size": FONT},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0,
                "font": {"size": FONT - 1}}, xaxis_title=x, yaxis_title=y,
        uirevision="keep")  # redraws keep the viewer's zoom
    return fig


LOG_TICKS = [m * 10.0 ** e for e in range(-6, 4) for m in (1, 2, 5)]


def log_axis(fig: go.Figure) -> go.Figure:
    """A log y axis labelled at 1, 2 and 5 of each decade, in full-size plain numbers."""
    fig.update_yaxes(type="log", tickvals=LOG_TICKS, ticktext=[f"{v:g}" for v in LOG_TICKS])
    return fig


def metric_series(records: list[dict], framework: str, key: str) -> tuple[list, list]:
    rows = [r for r in records if r.get("kind") == "metrics" and r["framework"] == framework
            and r.get(key) is not None]
    return [r["step"] for r in rows], [r[key] for r in rows]


def curves(key: str, current: dict | None, earlier: list[dict], title: str,
           axis: str, log: bool = False) -> go.Figure:
    """``key`` (loss or accuracy) over steps: earlier runs thin and faint underneath, the
    current run's frameworks bold on top, torch solid and TF dashed."""
    fig = go.Figure()
    for run in earlier:
        for framework in ("torch", "tf"):
            steps, values = metric_series(run["records"], framework, key)
            if steps:
                request = run["request"]
                fig.add_trace(go.Scatter(
                    x=steps, y=values, mode="lines", opacity=0.35,
                    name=f"run {run['n']} · {framework} · {request['optimizer']} "
                         f"{request['lr']:g}", legendgroup=f"run{run['n']}",
                    line={"color": COLORS[framework], "width": 1.5,
                          "dash": DASH[framework]}))
    if current:
        for framework in ("torch", "tf"):
            steps, values = metric_series(current["records"], framework, key)
            if steps:
                fig.add_trace(go.Scatter(
                    x=steps, y=values, mode="lines", name=f"run {current['n']} · "
                    f"{NAMES[framework]}", line={"color": COLORS[framework], "width": 4,
                                                 "dash": DASH[framework]}))
    _layout(fig, title, "step", axis, height=HEIGHT + 60)
    return log_axis(fig) if log else fig


def grad_norms(records: list[dict]) -> go.Figure:
    """Each layer's gradient norm over steps (log scale): torch solid, TF dashed."""
    fig = go.Figure()
    layers: list[str] = []
    for record in records:
        if record.get("kind") == "metrics":
            layers += [name for name in record["layers"] if name not in layers]
    for i, layer in enumerate(layers):
        color = LAYER_COLORS[i % len(LAYER_COLORS)]
        for framework in ("torch", "tf"):
            rows = [r for r in records if r.get("kind") == "metrics"
                    and r["framework"] == framework and r["layers"].get(layer)]
            if rows:
                fig.add_trace(go.Scatter(
                    x=[r["step"] for r in rows], y=[r["layers"][layer] for r in rows],
                    mode="lines", name=f"{layer} ({framework})", legendgroup=layer,
                    line={"color": color, "width": 3, "dash": DASH[framework]}))
    _layout(fig, "Gradient norm per layer (solid: PyTorch, dashed: tf.function)", "step",
            "‖grad‖", height=HEIGHT + 40)
    fig.update_layout(legend={"orientation": "v", "yanchor": "top", "y": 1, "x": 1.01})
    return log_axis(fig)


def boundary(grid: dict, data: dict, framework: str) -> go.Figure:
    """P(class 1) on the grid (sent in percent), with a sample of the data on top."""
    fig = go.Figure(go.Heatmap(x=grid["x"], y=grid["y"], z=grid["z"], zmin=0, zmax=100,
                               colorscale="RdBu", opacity=0.7, showscale=False, zsmooth="best",
                               hovertemplate="P(class 1) %{z}%<extra></extra>"))
    fig.add_trace(go.Contour(x=grid["x"], y=grid["y"], z=grid["z"], showscale=False,
                             contours={"start": 50, "end": 50, "coloring": "none"},
                             line={"width": 3, "color": "black"}, hoverinfo="skip"))
    points, labels = data.get("points", []), data.get("point_labels", [])
    for label, color in ((0, "#b2182b"), (1, "#2166ac")):
        chosen = [p for p, y in zip(points, labels) if y == label]
        fig.add_trace(go.Scatter(x=[p[0] for p in chosen], y=[p[1] for p in chosen],
                                 mode="markers", name=f"class {label}", marker={
                                     "color": color, "size": 7,
                                     "line": {"width": 1, "color": "white"}}))
    _layout(fig, f"{NAMES[framework]}: decision boundary at step {grid['step']}", "x", "y",
            height=420)
    fig.update_layout(showlegend=False)
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def speed(rows: list[dict]) -> go.Figure:
    """Steps per second of each variant; one that could not run says why in its bar."""
    names = [r["variant"] for r in rows]
    rates = [r.get("steps_per_s") or 0 for r in rows]
    notes = [f"{r['steps_per_s']:,.0f}" if r.get("steps_per_s") else "not available"
             for r in rows]
    fig = go.Figure(go.Bar(x=names, y=rates, text=notes, textposition="outside",
                           marker_color=[SPEED_COLORS.get(n, "#777") for n in names],
                           cliponaxis=False))
    _layout(fig, "Training steps per second (higher is faster)", "", "steps / s")
    fig.update_yaxes(rangemode="tozero")
    return fig
