"""Each op's value and gradient in a traced tf.function, as the torch graph's nodes carry
theirs: ``attrs.value`` (shape, dtype, first values, min / max / mean) for the forward output,
``attrs.grad`` (the same and its norm) for the gradient of the outputs' sum with respect to
it, the one flowing into the op in backward (``grad_paint``'s ``grad_in``).

TensorFlow keeps a traced function's intermediate tensors to itself, so the function's graph
is pruned to fetch them (``WrappedFunction.prune``, the tf.compat.v1 API that serves
``wrap_function``): one run of a copy of the graph for the values, one more for the gradients
(``tf.gradients`` in that copy; the traced function, its drawing and the check are left as
they were). Ops inside ``If`` / ``While`` bodies run inside their op and are not fetched: the
op itself carries the value it returns. Imported lazily (TensorFlow)."""
from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.python.eager import wrap_function

from explorer.capture import tf as capture_tf
from explorer.graph import Graph
from explorer.linked import VALUED_OPS_MAX

MAX_OPS = VALUED_OPS_MAX  # larger graphs get none (the page says so)
SKIPPED = ("Placeholder", "Const", "NoOp", "VarHandleOp")


def summary(array: Any) -> dict | None:
    """The twin's value summary (``capture.tf.value_summary``: shape, dtype, the first values)
    with the size and min / max / mean / norm of a real array, the keys of the torch
    capture's value summary and of the gradients page's."""
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        return None
    x = a.astype(np.float64).reshape(-1)
    out = {**capture_tf.value_summary(a), "numel": int(x.size)}
    if x.size:
        out.update({name: capture_tf.json_number(float(stat(x))) for name, stat in (
            ("min", np.min), ("max", np.max), ("mean", np.mean), ("norm", np.linalg.norm))})
    return out


def _fetched(func_graph: Any, nodes: dict[str, Any]) -> list[Any]:
    """The ops of ``func_graph`` drawn as op nodes whose first output is a real tensor."""
    return [op for op in func_graph.get_operations()
            if op.type not in SKIPPED and op.outputs and op.name in nodes
            and nodes[op.name].kind == "op" and (op.outputs[0].dtype.is_floating
                                                 or op.outputs[0].dtype.is_integer)]


def _pruned(func_graph: Any, feeds: list[Any], fetches: list[Any]) -> Any:
    wrapped = wrap_function.WrappedFunction(func_graph,
                                            wrap_function.VariableHolder(share_variables=True))
    return wrapped.prune(feeds=feeds, fetches=fetches)


def annotate(graph: Graph, concrete: Any, inputs: tuple) -> bool:
    """``attrs.value`` and ``attrs.grad`` on the op nodes of ``graph``, for a run on
    ``inputs``; False (nothing written) for a graph of more than ``MAX_OPS`` ops.

    ``concrete``: the trace ``graph`` was captured from, or one of the same code (the same op
    names, so node ids match), but not one whose gradient is taken afterwards: taking a
    gradient through an ``If`` registers rewritten branch functions under names derived from
    the trace's, and a second gradient must find those names free (the check's tape)."""
    func_graph = concrete.graph
    if len(func_graph.get_operations()) > MAX_OPS:
        return False
    nodes = graph.by_id()
    ops = _fetched(func_graph, nodes)
    feeds = capture_tf.arguments(func_graph)
    if not ops:
        return True
    inputs = tuple(tf.nest.flatten(inputs))  # forward's arguments, as the graph takes them
    values = _pruned(func_graph, feeds, [op.outputs[0] for op in ops])(*inputs)
    for op, value in zip(ops, values):
        found = summary(value.numpy())
        if found is not None:
            nodes[op.name].attrs["value"] = found
    outputs = [t for t in func_graph.outputs if t.dtype.is_floating]
    real = [op for op in ops if op.outputs[0].dtype.is_floating]
    if not outputs or not real:
        return True
    fetches = list({id(t): t for t in [op.outputs[0] for op in real] + outputs}.values())
    copy = _pruned(func_graph, feeds, fetches).graph  # a copy: its ops keep their names
    with copy.as_default():
        inner = [copy.get_operation_by_name(op.name).outputs[0] for op in real]
        loss = tf.add_n([tf.reduce_sum(copy.get_operation_by_name(t.op.name).outputs[t.value_index])
                         for t in outputs])
        grads = tf.gradients(loss, inner)
        linked = [(op, tf.convert_to_tensor(g)) for op, g in zip(real, grads) if g is not None]
    if not linked:
        return True
    gradients = _pruned(copy, capture_tf.arguments(copy), [g for _, g in linked])
    for (op, _), value in zip(linked, gradients(*inputs)):
        found = summary(value.numpy())
        if found is not None:
            nodes[op.name].attrs["grad"] = found
    return True
