"""Where every op of a traced tf.function came from: the user's line and the module call.

A line is the innermost frame of the twin's source file in the op's traceback (AutoGraph maps
its generated code back to the source). A module is the twin ``Module`` call that made the op:
``twin.lib.Module.__call__`` claims, in the graph being traced, every op created while it ran
that no inner call claimed first (``claim``), under the torch path the twin run gave the module.
The same holds inside the branch and body functions of ``If`` and ``While``: their FuncGraphs
are found through the traced graph's function library and annotate the matching subgraphs.
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import Any

from explorer.graph import Graph

# A graph at version v (ops added so far) gives its next op the id v + 2 (TensorFlow 2.21;
# tests/test_linked_origin.py checks the ops of each module against hand-written ones)
FIRST_ID = 2
# FuncGraph (slotted: no attributes of ours) -> op name -> module path; gone with the graph
_CLAIMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def claim(path: str | None, call: Callable[[], Any]) -> Any:
    """Run ``call`` (a module's forward) and tag the graph ops it created with ``path``."""
    if path is None:
        return call()
    import tensorflow as tf  # only reached while TensorFlow traces

    graph = tf.compat.v1.get_default_graph()
    start = graph.version
    try:
        return call()
    finally:
        nodes = getattr(graph, "_nodes_by_id", None)
        if nodes is not None and graph.version > start:
            claims = _CLAIMS.setdefault(graph, {})
            for op_id in range(start + FIRST_ID, graph.version + FIRST_ID):
                with contextlib.suppress(KeyError):
                    claims.setdefault(nodes[op_id].name, path)


def _functions(func_graph: Any) -> dict[str, Any]:
    """Every FuncGraph reachable from ``func_graph``'s function library, by TF's name."""
    found: dict[str, Any] = {}
    stack = [func_graph]
    while stack:
        graph = stack.pop()
        for name, function in getattr(graph, "_functions", {}).items():
            inner = getattr(function, "graph", None)
            if name not in found and inner is not None:
                found[name] = inner
                stack.append(inner)
    return found


def _innermost_line(traceback: Any, source_file: str) -> int | None:
    """The line of the innermost frame of ``source_file`` in an op's traceback, read from the
    innermost end of the frames outside TensorFlow (``get_user_frames``: about 4 of an op's
    33; the 13,000 ops of a 1,000-step loop in 0.10 s, against 0.26 s over every frame)."""
    frames = traceback.get_user_frames() if hasattr(traceback, "get_user_frames") \
        else (traceback or ())
    for frame in reversed(frames):
        if frame.filename == source_file:
            return frame.lineno
    return None


def _annotate(graph: Graph, func_graph: Any, ids: dict[str, str], source_file: str) -> None:
    nodes = graph.by_id()
    claims = _CLAIMS.get(func_graph, {})
    for op in func_graph.get_operations():
        node = nodes.get(ids.get(op.name, op.name))
        if node is None or node.kind != "op":
            continue
        line = _innermost_line(op.traceback, source_file)
        if line is not None:
            node.attrs["line"] = line
        if op.name in claims:
            node.attrs["module"] = claims[op.name]


def annotate(graph: Graph, func_graph: Any, ids: dict[str, str], source_file: str) -> None:
    """``attrs.line`` and ``attrs.module`` on the ops of ``graph`` (captured from
    ``func_graph``; ``ids`` maps TF op names to node ids) and of its subgraphs."""
    _annotate(graph, func_graph, ids, source_file)
    functions = _functions(func_graph)
    done: set[str] = set()
    stack = [graph]
    while stack:
        current = stack.pop()
        for node in current.nodes:
            for key, tf_name in node.attrs.get("functions", {}).items():
                name = node.attrs["subgraphs"].get(key)
                sub = current.subgraphs.get(name)
                if sub is None or name in done or tf_name not in functions:
                    continue
                done.add(name)
                _annotate(sub, functions[tf_name], {}, source_file)
                stack.append(sub)
