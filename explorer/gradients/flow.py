"""The gradient flowing out of every autograd node, and the order the engine ran them.

Hooks on each Node of the run: ``register_prehook`` sees ``grad_outputs`` (the gradient
arriving from the output side, *into* the node) and marks the start of the node's step;
``register_hook`` sees ``grad_inputs`` (what the node sends *out* to its next_functions).

Definitions the page and the tests rely on:

- ``order``: node ids in the order their pre-hooks fired, i.e. the order the autograd engine
  executed them.
- ``grad_out``: per distinct ``(next function, output_nr)`` the node feeds, the sum of the
  gradients it sends there (``x * x`` sends two; together they are the gradient of ``x``).
- ``grad_norm``: the L2 norm of all of the node's ``grad_out`` taken together, i.e. the norm
  of the gradient of the loss with respect to the node's forward inputs, through this node.
  An ``AccumulateGrad`` node sends nothing on: its ``grad_norm`` is that of the gradient it
  adds into the leaf's ``.grad``.
- edge ``grad_norm`` (forward edge ``src -> dst``): the gradient ``dst`` sent back to ``src``;
  on an edge into an output node, the seed of backward (``out.sum()``: all ones).
"""
from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch

from explorer.capture.torch import ACCUMULATE_GRAD, op_name
from explorer.gradients.flags import flag
from explorer.gradients.stats import StatBatch, norm_of
from explorer.graph import Graph


class GraphMismatch(RuntimeError):
    """The run's autograd Nodes do not line up with the captured graph (a capture change)."""


def node_ids(graph: Graph, outputs: list[torch.Tensor]) -> dict[Any, str]:
    """Each autograd Node of this run -> its id in ``graph``, as capture named it.

    Matched by structure instead of re-deriving capture's naming: an output node's incoming
    edge names the output's ``grad_fn``; from there, a node's distinct ``next_functions``
    pair in order with its incoming data edges from op nodes (capture adds them in that
    order). Every step checks the op name, so a change in capture fails loudly.
    """
    nodes = graph.by_id()
    incoming = graph.inputs_of()
    out_ids = [n.id for n in graph.nodes if n.kind == "output"]
    stack = [(out.grad_fn, incoming[out_id][0].src) for out, out_id in zip(outputs, out_ids)
             if out.grad_fn is not None]
    ids: dict[Any, str] = {}
    while stack:
        fn, node_id = stack.pop()
        if nodes[node_id].op != op_name(fn) or ids.get(fn, node_id) != node_id:
            raise GraphMismatch(f"node {node_id!r} is {nodes[node_id].op}, not {op_name(fn)}")
        if fn in ids:
            continue
        ids[fn] = node_id
        nexts = list(dict.fromkeys(nxt for nxt, _ in fn.next_functions if nxt is not None))
        srcs = [e.src for e in incoming[node_id]
                if e.kind == "data" and nodes[e.src].kind == "op"]
        if len(nexts) != len(srcs):
            raise GraphMismatch(f"node {node_id!r}: {len(nexts)} next_functions, "
                                f"{len(srcs)} incoming edges")
        stack.extend(zip(nexts, srcs))
    if len(ids) != sum(1 for n in graph.nodes if n.kind == "op"):
        raise GraphMismatch("some op nodes of the graph were not reached from the outputs")
    return ids


class FlowRecorder:
    """Hooks on every Node; statistics queued during backward, resolved after it."""

    def __init__(self, fn_ids: dict[Any, str]) -> None:
        self.order: list[str] = []
        self.batch = StatBatch()
        self.grad_in: dict[str, list[int | None]] = {}
        self.grad_out: dict[str, list[tuple[str, int, int]]] = {}  # (to, output_nr, stat)
        self.handles: list[Any] = []
        for fn, node_id in fn_ids.items():
            targets = [(fn_ids.get(nxt), nr) if nxt is not None else None
                       for nxt, nr in fn.next_functions]
            self.handles.append(fn.register_prehook(partial(self._pre, node_id)))
            self.handles.append(fn.register_hook(partial(self._post, node_id, targets)))

    def _pre(self, node_id: str, grad_outputs: tuple) -> None:
        if node_id in self.grad_in:  # a second backward through the same node: keep the first
            return
        self.order.append(node_id)
        self.grad_in[node_id] = [None if g is None else self.batch.add(g) for g in grad_outputs]

    def _post(self, node_id: str, targets: list, grad_inputs: tuple, _grad_outputs: tuple) -> None:
        if node_id in self.grad_out:
            return
        sums: dict[tuple[str, int], torch.Tensor] = {}
        for target, g in zip(targets, grad_inputs):
            if target is None or target[0] is None or g is None:
                continue  # no next function: the input needs no gradient
            sums[target] = g if target not in sums else sums[target] + g
        self.grad_out[node_id] = [(to, nr, self.batch.add(g)) for (to, nr), g in sums.items()]

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()

    def report(self, graph: Graph, outputs: list[torch.Tensor]) -> tuple[dict, list[dict]]:
        """``nodes`` (id -> step, grad_norm, flag, grad_in, grad_out) and ``edges``."""
        stats = self.batch.resolve()
        incoming = graph.inputs_of()
        step = {node_id: k for k, node_id in enumerate(self.order)}
        nodes: dict[str, dict] = {}
        for node in graph.nodes:
            if node.kind != "op":
                continue
            grad_in = [None if i is None else stats[i] for i in self.grad_in.get(node.id, [])]
            if node.op == ACCUMULATE_GRAD:  # what it sends on is what it adds into .grad
                leaf = incoming[node.id][0].src
                grad_out = [{"to": leaf, "output_nr": 0, **s} for s in grad_in if s] \
                    if node.id in self.grad_out else []
            else:
                grad_out = [{"to": to, "output_nr": nr, **stats[i]}
                            for to, nr, i in self.grad_out.get(node.id, [])]
            norm = norm_of([g["norm"] for g in grad_out]) if grad_out else None
            nodes[node.id] = {"op": node.op, "step": step.get(node.id), "grad_norm": norm,
                              "flag": flag(norm), "grad_in": grad_in, "grad_out": grad_out}
        return nodes, self._edges(graph, nodes, outputs)

    @staticmethod
    def _edges(graph: Graph, nodes: dict[str, dict], outputs: list[torch.Tensor]) -> list[dict]:
        kinds = {n.id: n.kind for n in graph.nodes}
        # backward starts from out.sum() for each output: the seed is all ones, of norm sqrt(n)
        seed = dict(zip((n.id for n in graph.nodes if n.kind == "output"),
                        (math.sqrt(o.numel()) if o.requires_grad else None for o in outputs)))
        edges = []
        for e in graph.edges:
            if e.kind != "data":
                continue
            if kinds[e.dst] == "op":  # what dst sent back to src (grad_acc: "to" its leaf)
                norm = norm_of([g["norm"] for g in nodes[e.dst]["grad_out"] if g["to"] == e.src])
            elif kinds[e.dst] == "output":
                norm = seed.get(e.dst)
            else:
                continue
            edges.append({"src": e.src, "dst": e.dst, "grad_norm": norm, "flag": flag(norm)})
        return edges
