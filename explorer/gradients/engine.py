"""One call for the gradients page: forward, capture, hooks, backward, and what they saw.

Order matters: capture runs before any hook is registered, so the graph (and its node ids)
is exactly the one the graph page draws for the same snippet and seed.
"""
from __future__ import annotations

import time

import torch

from explorer import snippet
from explorer.capture import origin
from explorer.capture.torch import capture
from explorer.executed import LineTracer
from explorer.gradients import flow, saved
from explorer.gradients.leaves import grad_leaves, leaf_node_ids, leaf_report
from explorer.snippet import Program, SnippetError


class BackwardError(Exception):
    """Backward failed after the graph was captured: the page can still draw the graph."""

    def __init__(self, error: SnippetError, graph: dict) -> None:
        super().__init__(error.message)
        self.error = error
        self.graph = graph


def inspect(program: Program) -> dict:
    """Gradients of one run of a loaded program (live edits already applied).

    Returns ``leaves``, ``nodes``, ``edges``, ``order``, ``saved_bytes``, ``saved``,
    ``graph`` (the torch graph JSON) and ``timings``. Raises SnippetError for a failing
    forward and BackwardError for a failing backward.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        if program.device.type == "cuda":  # kernels run asynchronously: wait, then read
            torch.cuda.synchronize(program.device)
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    # the nodes learn the line that made them (attrs.line), as on the Explorer page
    tracer = LineTracer(snippet.SNIPPET_FILE)
    with origin.record(program.namespace, tracer) as record:
        outputs = program.run_forward(tracer)
    lap("forward_s")
    named = program.leaves()
    graph = capture(outputs, named, record)
    lap("capture_s")
    fn_ids = flow.node_ids(graph, outputs)
    kept = saved.measure(fn_ids, [leaf.tensor for leaf in named])
    recorder = flow.FlowRecorder(fn_ids)
    lap("hooks_s")
    try:
        program.backward()
    except SnippetError as err:
        raise BackwardError(err, graph.to_json()) from None
    finally:
        recorder.remove()
    lap("backward_s")
    nodes, edges = recorder.report(graph, outputs)
    for node_id, entry in kept.per_node.items():
        nodes[node_id].update(entry)
    leaves = leaf_report(grad_leaves(program), leaf_node_ids(graph, fn_ids))
    totals = kept.totals()
    lap("report_s")
    return {"leaves": leaves, "nodes": nodes, "edges": edges, "order": recorder.order,
            "saved_bytes": totals["total_bytes"], "saved": totals, "graph": graph.to_json(),
            "timings": timings}
