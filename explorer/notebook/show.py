"""``explorer.show(fn_or_module, *args, **kwargs)``: one run of live code, its autograd graph
next to the tf.function twin of the same code, the agreement badge, the executed path and
the leaf gradients, as one HTML output drawn by the app's viewer.

The twin is the app's: ``twin.live`` writes the live function out as snippet text and the
check (``twin.check.compare``) translates, traces and compares it on the numbers of this run,
so what has no twin gets the app's own lesson. TensorFlow is imported on the first call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from explorer import executed
from explorer.graph import Graph
from explorer.notebook import html
from explorer.notebook.graph import CAPTION, GraphView, caller_scope

TF_CAPTION = ("Purple 3-D boxes: control flow (If / While) that the static graph must hold "
              "for every path, because it is built before any data is seen.")


def check(live_run: Any) -> dict:
    """The twin check of one live run, as the app's check JSON; a gap of the translator or
    of writing the code out is an error result, and the PyTorch side still stands."""
    from explorer import snippet
    from explorer.twin import live
    from explorer.twin.check import compare  # imports TensorFlow

    try:
        return live.to_cell_lines(compare(live_run.source.code, torch_run=live_run.torch_run),
                                  live_run.source.offset)
    except snippet.SnippetError as err:
        return err.to_json()
    except Exception as err:  # a gap in the translator: report it, keep the torch side
        return {"status": "error", "message": f"{type(err).__name__}: {err}"}


def badge_of(twin: dict) -> tuple[str, str]:
    """The badge's words and tone, as the app's explorer page words them."""
    status = twin.get("status")
    if status == "no-twin":
        return f"No static twin. {twin.get('message', '')}", "warn"
    if status != "ok":
        return f"The TensorFlow twin failed: {twin.get('message', status)}", "warn"
    if twin.get("equivalent"):
        gap = max(float(twin.get("max_abs_diff_output", 0)),
                  float(twin.get("max_abs_diff_grads", 0)))
        return f"Outputs and gradients agree: largest difference {gap:.2g} (float32).", "ok"
    return f"Outputs or gradients differ: {twin.get('message', '')}", "bad"


def gradient_rows(torch_run: Any, twin: dict) -> list[dict]:
    """Each leaf's gradient: its norm in torch and in the twin, and whether they agree."""
    import numpy as np

    checked = {row["name"]: row for row in twin.get("grads", [])}
    rows = []
    for name, grad in (torch_run.grads if torch_run else {}).items():
        row = {"leaf": name, "shape": list(np.shape(grad)) if grad is not None else "-",
               "torch |grad|": "None" if grad is None else f"{np.linalg.norm(grad):.4g}"}
        if name in checked:
            tf_norm = checked[name]["tf"]["norm"]
            row["tf |grad|"] = "None" if tf_norm is None else f"{float(tf_norm):.4g}"
            row["max |diff|"] = f"{float(checked[name]['max_abs_diff']):.2g}"
            row["agree"] = "yes" if checked[name]["close"] else "NO"
        rows.append(row)
    return rows


@dataclass
class ShowView:
    """What ``show`` ran and found; drawn as one HTML output."""

    torch: GraphView
    twin: dict
    tf: GraphView | None
    branches: list[executed.Branch] = field(default_factory=list)
    gradients: list[dict] = field(default_factory=list)
    backward_error: dict | None = None

    @property
    def equivalent(self) -> bool:
        return bool(self.twin.get("equivalent"))

    def view(self, mode: str) -> ShowView:
        """Both graphs drawn ``rolled`` or ``full``."""
        return ShowView(self.torch.view(mode), self.twin, self.tf.view(mode) if self.tf else None,
                        self.branches, self.gradients, self.backward_error)

    def _repr_html_(self) -> str:
        text, tone = badge_of(self.twin)
        parts = [html.badge(text, tone)]
        if self.backward_error:
            parts.append(html.badge(f"backward() failed: {self.backward_error['message']}",
                                    "warn"))
        tf_part = (self.tf.box(key="tf", title="tf.function \u00b7 the graph of the same code "
                                               "(define-and-run)", caption=TF_CAPTION)
                   + self._bodies() if self.tf else
                   '<div class="gx-title">tf.function</div><div class="gx-caption">No static '
                   "graph for this code; see the message above.</div>")
        parts.append(html.columns(
            self.torch.box(key="torch", title="PyTorch \u00b7 the graph this run built "
                                              "(define-by-run)", caption=CAPTION), tf_part))
        path = [{"line": b.line, "statement": b.text, "this run": b.summary()}
                for b in self.branches]
        parts.append(html.table(path, "Executed path") if path else
                     '<div class="gx-caption">No if, loop or function in this code.</div>')
        parts.append(html.table(self.gradients, "Leaf gradients"))
        return html.document(*parts)

    def _bodies(self) -> str:
        """The branch and body functions of each If / While, folded under the graph."""
        out = []
        for node in self.tf.graph.nodes:
            for role, name in sorted(node.attrs.get("subgraphs", {}).items()):
                if name in self.tf.graph.subgraphs:
                    body = GraphView(self.tf.graph.subgraphs[name], self.tf.mode)
                    drawn = body.box(key=f"tf.{node.id}.{role}", caption="", height=360)
                    out.append(f"<details><summary>Inside {html.escape(node.id)}: {role}"
                               f"</summary>{drawn}</details>")
        return "".join(out)


def show(target: Any, *args: Any, **kwargs: Any) -> ShowView:
    """Run ``target(*args, **kwargs)`` once (a function or an ``nn.Module``) and show its
    autograd graph beside the tf.function twin of the same code."""
    from explorer.notebook import runs

    live_run = runs.run(target, args, kwargs, caller_scope())
    torch_graph = GraphView(live_run.execution.graph)
    if live_run.problem:
        twin = {"status": "error",
                "message": f"the code cannot be written out for the twin: {live_run.problem}"}
    else:
        twin = check(live_run)
    tf = GraphView(Graph.from_json(twin["graph"])) if twin.get("graph") else None
    return ShowView(torch_graph, twin, tf,
                    executed.control_flow(live_run.source.view, live_run.trace),
                    gradient_rows(live_run.torch_run, twin), live_run.execution.backward_error)
