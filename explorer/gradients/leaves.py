"""The leaves a gradient reaches: every parameter and every input that requires grad."""
from __future__ import annotations

from typing import Any

from explorer.capture.torch import ACCUMULATE_GRAD, Leaf, op_name
from explorer.gradients.flags import flag
from explorer.gradients.stats import StatBatch
from explorer.graph import Graph
from explorer.snippet import Program

GRAD_KINDS = ("param", "input")


def grad_leaves(program: Program) -> list[Leaf]:
    """Named leaves that require grad, each tensor once under its first name (as capture
    names them: module level first, then forward's inputs)."""
    out: list[Leaf] = []
    seen: set[int] = set()  # id() is safe here: every tensor stays alive in the program
    for leaf in program.leaves():
        t = leaf.tensor
        if leaf.kind in GRAD_KINDS and t.requires_grad and t.is_leaf and id(t) not in seen:
            seen.add(id(t))
            out.append(leaf)
    return out


def leaf_node_ids(graph: Graph, fn_ids: dict[Any, str]) -> dict[int, str]:
    """id() of a leaf tensor -> its node in ``graph``, through the AccumulateGrad node that
    feeds its ``.grad`` (the leaf node is that node's only input)."""
    incoming = graph.inputs_of()
    return {id(fn.variable): incoming[node_id][0].src for fn, node_id in fn_ids.items()
            if op_name(fn) == ACCUMULATE_GRAD}


def leaf_report(leaves: list[Leaf], node_of: dict[int, str]) -> dict[str, dict]:
    """Name -> shape, ``.grad`` statistics, flag, and the values when small enough."""
    batch = StatBatch()
    queued = {leaf.name: batch.add(leaf.tensor.grad, with_values=True)
              for leaf in leaves if leaf.tensor.grad is not None}
    stats = batch.resolve()
    report: dict[str, dict] = {}
    for leaf in leaves:
        t = leaf.tensor
        entry = {"kind": leaf.kind, "node": node_of.get(id(t)), "shape": list(t.shape),
                 "dtype": str(t.dtype).removeprefix("torch."), "numel": t.numel(),
                 "used": leaf.name in queued, "norm": None, "min": None, "max": None,
                 "mean": None, "flag": None, "grad": None}
        if leaf.name in queued:
            summary = stats[queued[leaf.name]]
            entry.update({k: summary[k] for k in ("norm", "min", "max", "mean")},
                         flag=flag(summary["norm"]), grad=summary.get("values"))
        report[leaf.name] = entry
    return report

