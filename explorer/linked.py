"""Linking code, graphs and values: which nodes a line made, which lines made nodes, search.

Display models only (node ids, lines); the page draws them as highlights. A node's line is
its ``attrs.line`` (torch: the user's line that ran when autograd recorded it; TF: the line
that traced it), so one line names nodes in both graphs.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from explorer import executed
from explorer.graph import Graph, Node


def line_of(graph: Graph, node_id: str | None) -> int | None:
    """The line that made ``node_id``, or None (a leaf, an unknown id)."""
    if not node_id:
        return None
    node = graph.by_id().get(node_id)
    return node.attrs.get("line") if node is not None else None


def _holds(graph: Graph, line: int, seen: set[str]) -> bool:
    for node in graph.nodes:
        if node.kind == "op" and node.attrs.get("line") == line:
            return True
        for name in node.attrs.get("subgraphs", {}).values():
            if name in graph.subgraphs and name not in seen:
                seen.add(name)
                if _holds(graph.subgraphs[name], line, seen):
                    return True
    return False


def held_lines(graph: Graph) -> dict[str, list[int]]:
    """Control-flow op id (If, While) -> the lines its branches or bodies hold: hovering one
    of those lines lights the op, as picking it does (``nodes_of_line``)."""
    held = {}
    for node in graph.nodes:
        inner = [graph.subgraphs[n] for n in node.attrs.get("subgraphs", {}).values()
                 if n in graph.subgraphs]
        inside = lines(*inner) if inner else {}
        if node.kind == "op" and inside:
            held[node.id] = sorted(inside)
    return held


def nodes_of_line(graph: Graph, line: int | None) -> list[str]:
    """Ids of the ops ``line`` made, in graph order, and of the control-flow ops (If, While)
    whose branches or bodies hold ops of that line: the arm of an ``if`` lights up its If."""
    if line is None:
        return []
    out = []
    for node in graph.nodes:
        if node.kind != "op":
            continue
        inner = [graph.subgraphs[n] for n in node.attrs.get("subgraphs", {}).values()
                 if n in graph.subgraphs]
        if node.attrs.get("line") == line or any(_holds(g, line, set()) for g in inner):
            out.append(node.id)
    return out


def lines(*graphs: Graph | None) -> Counter:
    """Line -> the number of ops it made, over ``graphs``."""
    counts: Counter = Counter()
    stack = [g for g in graphs if g is not None]
    while stack:  # branches and bodies too: each subgraph is drawn once
        graph = stack.pop()
        counts.update(n.attrs["line"] for n in graph.nodes
                      if n.kind == "op" and isinstance(n.attrs.get("line"), int))
        stack.extend(graph.subgraphs.values())
    return counts


def _haystack(node: Node) -> str:
    attrs = node.attrs
    parts = [node.id, node.op, node.label, str(attrs.get("module") or ""),
             str(attrs.get("module_type") or "")]
    return " ".join(parts).lower()


def search(graph: Graph, query: str) -> list[str]:
    """Ids of the nodes matching ``query``: an op name, a node id or label, a parameter path
    (``model.layer1.weight``), a module path, or ``line N`` / ``:N`` for the nodes of line N.
    Case does not matter; several words must all match."""
    query = query.strip().lower()
    if not query:
        return []
    for prefix in ("line ", ":"):
        if query.startswith(prefix) and query[len(prefix):].strip().isdigit():
            return nodes_of_line(graph, int(query[len(prefix):]))
    words = query.split()
    # an AccumulateGrad is drawn as its leaf (render's folding): the leaf matches instead
    return [n.id for n in graph.nodes if n.op != "AccumulateGrad"
            and all(w in _haystack(n) for w in words)]


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


VALUED_OPS_MAX = 2_000  # the tf.function twin gives its ops' values up to this size
# (capture.tf_values: the gradient of a 13,000-op loop's ops takes ~10 s)


def value_lines(graph: Graph, values: dict[str, dict] | None = None) -> dict[str, list[str]]:
    """Node id -> the label line that prints its forward value, micrograd-style: a scalar's
    value (``= 1.32``), else the mean and range (``μ 0.12 [-1.5, 1.3]``); ops whose output
    the run summarised (``attrs.value`` with statistics, or ``values``: node id -> such a
    summary, the tf.function graph's from the ``twin_values`` job) only."""
    out: dict[str, list[str]] = {}
    for node in graph.nodes:
        value = node.attrs.get("value") if values is None else values.get(node.id)
        if node.kind != "op" or not isinstance(value, dict) or "mean" not in value:
            continue
        if value.get("shape") == [] or len(value.get("value") or []) == 1:
            out[node.id] = [f"= {_number(value['value'][0])}"]
        else:
            out[node.id] = [f"\u03bc {_number(value['mean'])} "
                            f"[{_number(value['min'])}, {_number(value['max'])}]"]
    return out


def step_marks(graph: Graph, step: int) -> dict[str, str]:
    """Define-by-run at executed-line ``step``: node id -> ``added`` for the ops that step's
    line made then, ``future`` for ops later steps make; earlier ops and the leaves as they
    are. Ops with no step (made inside a torch call, tagged with its step) follow their tag."""
    marks = {}
    for node in graph.nodes:
        at = node.attrs.get("step")
        if node.kind != "op" or not isinstance(at, int):
            continue
        if at == step:
            marks[node.id] = "added"
        elif at > step:
            marks[node.id] = "future"
    return marks


def step_caption(graph: Graph, step: int, code: str | None = None) -> str:
    """``step 7 of 40 · line 23, run 3 · 4 new nodes``; given the ``code``, a step in a loop
    also says its iteration: ``· iteration 1 of 5 of the loop at line 22 ·``."""
    steps = graph.steps or []
    if not 0 <= step < len(steps):
        return ""
    line = steps[step]["line"]
    run = sum(1 for s in steps[:step + 1] if s["line"] == line)
    new = sum(1 for v in step_marks(graph, step).values() if v == "added")
    module = steps[step].get("module")
    where = f" in {module}" if module else ""
    loop = executed.loop_steps(code, [s["line"] for s in steps])[step] if code else None
    return (f"step {step + 1} of {len(steps)} \u00b7 line {line}{where}, run {run} \u00b7 "
            + (f"{loop.text()} \u00b7 " if loop else "")
            + f"{new} new node{'s' if new != 1 else ''}")
