"""``explorer.compare(fn, inputs_a, inputs_b, ...)``: the app's "Compare inputs" view on live
code: one run per input, a row each (output, autograd nodes, nodes added or dropped against
the first, what each if and loop did), each dynamic graph with the nodes the first run did
not record, and the one static graph with what the runs did at its control flow.

The display model is the app's (``explorer.compare.comparison``); only the runs differ: live
calls (``notebook.runs``) instead of reseeded snippet runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explorer import render
from explorer.compare import Comparison, comparison
from explorer.graph import Graph
from explorer.notebook import html
from explorer.notebook.graph import GraphView, caller_scope


def _label(i: int) -> str:
    return f"inputs {chr(ord('a') + i)}" if i < 26 else f"inputs {i + 1}"


def as_args(inputs: Any) -> tuple:
    """One input set: a tuple (or list) of forward's arguments, or a single argument."""
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


@dataclass
class CompareView:
    model: Comparison
    static: GraphView | None
    twin: dict
    view_mode: str = "auto"

    @property
    def rows(self) -> list[dict]:
        """The table, with the input sets named as given (the app names reseeds)."""
        return [{k.replace("input seed", "inputs").replace("vs seed ", "vs "): v
                 for k, v in row.items()} for row in self.model.rows]

    def graph(self, label: str) -> GraphView:
        return GraphView(self.model.graphs[label], self.view_mode)

    def view(self, mode: str) -> CompareView:
        return CompareView(self.model, self.static.view(mode) if self.static else None,
                           self.twin, mode)

    def _repr_html_(self) -> str:
        if self.model.failure:
            return html.document(html.badge(self.model.failure.get("message", "failed"), "bad"))
        base = self.model.base_seed
        boxes = [self.graph(label).box(
            key=f"compare.{label}", title=f"Dynamic graph, {label}",
            caption="" if label == base else f"green: nodes {base} did not record",
            highlight={n: "gx-added" for n in self.model.added[label]}, height=420)
            for label in self.model.graphs]
        pairs = [html.columns(*boxes[i:i + 2]) for i in range(0, len(boxes), 2)]
        static = (self.static.box(key="compare.static", title="The one static graph, with "
                                  "what the runs did at its control flow",
                                  highlight={n: "gx-taken" for n in self.model.static_lines},
                                  caption="", height=420)
                  if self.static else html.badge("No static twin for this code: "
                                                 + self.twin.get("message", ""), "warn"))
        return html.document(html.table(self.rows, "Compare inputs"), *pairs, static)


def compare(fn: Any, *inputs: Any, twin: bool = True) -> CompareView:
    """Run ``fn`` (a function or an ``nn.Module``) once on each input set and compare the
    dynamic graphs; ``twin``: paint the runs on the static graph of the tf.function twin."""
    from explorer.notebook import runs
    from explorer.notebook.show import check

    if len(inputs) < 2:
        raise TypeError("compare() takes the code and at least two input sets: "
                        "compare(fn, inputs_a, inputs_b, ...)")
    scope = caller_scope()
    results, first = [], None
    for i, given in enumerate(inputs):
        live_run = runs.run(fn, as_args(given), {}, scope, backward=twin and i == 0,
                            twin=twin and i == 0)
        first = first or live_run
        results.append({"status": "ok", "graph": live_run.execution.graph.to_json(),
                        "trace": live_run.trace, "input_seed": _label(i)})
    result = {"status": "error", "message": "not asked for"}
    if twin:
        result = ({"status": "error", "message": first.problem} if first.problem
                  else check(first))
    static = Graph.from_json(result["graph"]) if result.get("graph") else None
    model = comparison(first.source.view, results, static)
    decorated = (GraphView(static, decoration=render.Decoration(node_lines=model.static_lines))
                 if static else None)
    return CompareView(model, decorated, result)
