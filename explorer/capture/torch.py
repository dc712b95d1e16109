"""Autograd graph of one run -> Graph: walk ``grad_fn`` -> ``next_functions`` with a stack.

One ``op`` node per unique autograd Node (``AccumulateGrad`` included), numbered in the order
the forward pass created them (``_sequence_nr``), so ``tanh_3`` is the fourth tanh that ran.
Leaf tensors become ``param`` / ``input`` / ``const`` nodes named by their Python path.
Saved tensors (``_saved_*``) are listed with their shapes; a saved tensor is tied to a leaf
only when it *is* that leaf (identity, never ``id()`` numbers, which Python reuses).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

from explorer.graph import Edge, Graph, Namer, Node, snake
from explorer.values import Leaf

if TYPE_CHECKING:  # origin imports this module's value preview
    from explorer.capture.origin import Record

ACCUMULATE_GRAD = "AccumulateGrad"
VALUE_PREVIEW = 16  # elements of an output shown in the graph JSON


def op_name(fn: Any) -> str:
    """``torch::autograd::AccumulateGrad`` -> ``AccumulateGrad``; others as autograd names them."""
    return fn.name().rsplit("::", 1)[-1]


def _base_id(name: str) -> str:
    """``AddmmBackward0`` -> ``addmm``, ``CopySlices`` -> ``copy_slices``."""
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return snake(name)


def tensor_meta(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch."),
            "device": str(t.device)}


def tensor_bytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def value_summary(t: torch.Tensor) -> dict:
    """Shape plus the first few values, JSON-safe (NaN and inf spelled as strings)."""
    flat = t.detach().reshape(-1)[:VALUE_PREVIEW].to("cpu")
    if flat.is_complex():
        flat = flat.abs()
    values = [_json_number(v) for v in flat.tolist()]
    summary = {"shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch."),
               "value": values, "truncated": t.numel() > VALUE_PREVIEW}
    return summary


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _json_scalar(value: Any) -> Any:
    """Saved non-tensor arguments (``dim``, ``alpha``, sizes) as JSON, or None if unsuitable."""
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return _json_number(value)
    if isinstance(value, (torch.SymInt, torch.SymFloat)):
        return _json_scalar(int(value) if isinstance(value, torch.SymInt) else float(value))
    if isinstance(value, (tuple, list)) and len(value) <= 16:
        items = [_json_scalar(v) for v in value]
        return items if all(i is not None or v is None for i, v in zip(items, value)) else None
    if isinstance(value, (torch.dtype, torch.device)):
        return str(value)
    return None


class _Capture:
    """State of one capture: the autograd Nodes found and the leaves they reach."""

    def __init__(self, leaves: Iterable[Leaf]):
        self.leaves: list[Leaf] = []
        self.position: dict[int, int] = {}  # id() of a leaf tensor, kept alive by self.leaves
        self.storage_owner: dict[tuple[str, int], int] = {}  # storage of a no-grad leaf
        self.namer = Namer()
        self.leaf_ids: dict[int, str] = {}  # position in self.leaves -> node id
        self.nodes: dict[str, Node] = {}
        for leaf in leaves:  # user names are reserved first, so they win over op names
            if self.leaf_index(leaf.tensor) is None:
                self.add_leaf(leaf)
        self.edges: list[Edge] = []
        self.edge_set: set[Edge] = set()

    # -- leaves --------------------------------------------------------------------------
    def add_leaf(self, leaf: Leaf) -> int:
        index = len(self.leaves)
        self.leaves.append(leaf)
        self.position[id(leaf.tensor)] = index
        self.leaf_ids[index] = self.namer.name(leaf.name)
        if not leaf.tensor.requires_grad and leaf.tensor.numel() > 0:
            key = (leaf.tensor.device.type, leaf.tensor.untyped_storage().data_ptr())
            self.storage_owner.setdefault(key, index)
        return index

    def leaf_index(self, t: torch.Tensor) -> int | None:
        index = self.position.get(id(t))
        return index if index is not None and self.leaves[index].tensor is t else None

    def leaf_node(self, index: int) -> str:
        """The node id of leaf ``index``, adding its node on first use."""
        node_id = self.leaf_ids[index]
        if node_id not in self.nodes:
            leaf = self.leaves[index]
            self.nodes[node_id] = Node(
                id=node_id, kind=leaf.kind, label=leaf.name, attrs={
                    "requires_grad": leaf.tensor.requires_grad,
                    "bytes": tensor_bytes(leaf.tensor)}, **tensor_meta(leaf.tensor))
        return node_id

    def leaf_index_or_new(self, t: torch.Tensor) -> int:
        """A leaf created inside forward, which no module-level name or input reaches, is
        named ``leaf``."""
        index = self.leaf_index(t)
        return self.add_leaf(Leaf(name="leaf", kind="param", tensor=t)) if index is None else index

    def add_edge(self, src: str, dst: str, kind: str = "data") -> None:
        edge = Edge(src, dst, kind)
        if edge not in self.edge_set:
            self.edge_set.add(edge)
            self.edges.append(edge)

    # -- autograd Nodes ------------------------------------------------------------------
    def walk(self, roots: list[Any]) -> list[Any]:
        """Every autograd Node reachable from ``roots``, each once (explicit stack)."""
        found: dict[Any, int] = {}
        stack = list(reversed(roots))
        while stack:
            fn = stack.pop()
            if fn in found:
                continue
            found[fn] = len(found)
            stack.extend(nxt for nxt, _ in reversed(fn.next_functions)
                         if nxt is not None and nxt not in found)
        # Forward creation order; AccumulateGrad nodes (no sequence number) first.
        return sorted(found, key=lambda fn: (op_name(fn) != ACCUMULATE_GRAD,
                                             fn._sequence_nr() if op_name(fn) != ACCUMULATE_GRAD
                                             else 0, found[fn]))

    def op_node(self, fn: Any) -> Node:
        name = op_name(fn)
        attrs: dict[str, Any] = {}
        metadata = [m for m in fn._input_metadata]
        meta = {}
        if metadata:
            first = metadata[0]
            meta = {"shape": list(first.shape), "dtype": str(first.dtype).removeprefix("torch."),
                    "device": str(first.device)}
            if len(metadata) > 1:
                attrs["output_shapes"] = [list(m.shape) for m in metadata]
        if name == ACCUMULATE_GRAD:
            base = f"{self.leaf_ids[self.leaf_index_or_new(fn.variable)]}.grad_acc"
        else:
            base = _base_id(name)
            attrs["sequence_nr"] = fn._sequence_nr()
        return Node(id=self.namer.name(base), kind="op", op=name, label=name, attrs=attrs, **meta)

    def saved(self, fn: Any, node_id: str) -> None:
        """Record ``_saved_*`` tensors (with shapes) and arguments on the op node."""
        node = self.nodes[node_id]
        saved, args = [], {}
        for attr in dir(fn):
            if not attr.startswith("_saved_"):
                continue
            try:
                value = getattr(fn, attr)
            except RuntimeError:  # freed by an earlier backward
                continue
            key = attr.removeprefix("_saved_")
            tensors = _tensors_in(value)
            if tensors is not None:
                for suffix, t in tensors:
                    saved.append(self._saved_entry(key + suffix, t, node_id))
            elif value is not None and not key.endswith("_sym_strides"):
                scalar = _json_scalar(value)
                if scalar is not None:
                    args[key] = scalar
        if hasattr(fn, "saved_tensors"):  # custom autograd.Function: ctx.save_for_backward
            try:
                for i, t in enumerate(fn.saved_tensors):
                    if isinstance(t, torch.Tensor):
                        saved.append(self._saved_entry(f"saved_tensors[{i}]", t, node_id))
            except RuntimeError:
                pass
        if saved:
            node.attrs["saved"] = saved
        if args:
            node.attrs["saved_args"] = args

    def _saved_entry(self, name: str, t: torch.Tensor, node_id: str) -> dict:
        """A saved tensor is tied to a leaf when it *is* the leaf, or, for leaves that
        need no grad (inputs, constants), when it is a view into the leaf's storage."""
        entry = {"name": name, **tensor_meta(t), "bytes": tensor_bytes(t)}
        index = self.leaf_index(t)
        if index is None and t.numel() > 0:
            index = self.storage_owner.get((t.device.type, t.untyped_storage().data_ptr()))
            if index is not None:
                entry["view"] = True
        if index is not None:
            leaf_id = self.leaf_node(index)
            entry["leaf"] = leaf_id
            if not self.leaves[index].tensor.requires_grad:  # else AccumulateGrad links it
                self.add_edge(leaf_id, node_id, "saved")
        return entry


def _tensors_in(value: Any) -> list[tuple[str, torch.Tensor]] | None:
    if isinstance(value, torch.Tensor):
        return [("", value)]
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(v, torch.Tensor) or v is None for v in value):
        return [(f"[{i}]", v) for i, v in enumerate(value) if v is not None]
    return None


def capture(outputs: list[torch.Tensor], leaves: Iterable[Leaf],
            record: Record | None = None) -> Graph:
    """The autograd graph that built ``outputs``, as a Graph with nodes in forward order;
    ``record`` (``origin.record`` around forward) gives each op its line, module, step and
    value."""
    state = _Capture(leaves)
    roots = [o.grad_fn for o in outputs if o.grad_fn is not None]
    functions = state.walk(roots)
    fn_ids: dict[Any, str] = {}
    for fn in functions:
        if op_name(fn) == ACCUMULATE_GRAD:
            state.leaf_node(state.leaf_index_or_new(fn.variable))
    for fn in functions:
        node = state.op_node(fn)
        if record is not None:
            record.annotate(node, fn)
        state.nodes[node.id] = node
        fn_ids[fn] = node.id
        if op_name(fn) == ACCUMULATE_GRAD:
            state.add_edge(state.leaf_node(state.leaf_index_or_new(fn.variable)), node.id)
    for fn in functions:
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                state.add_edge(fn_ids[nxt], fn_ids[fn])
        state.saved(fn, fn_ids[fn])
    output_ids = []
    for out in outputs:
        out_id = state.namer.name("output")
        state.nodes[out_id] = Node(id=out_id, kind="output", label=out_id,
                                   attrs={"value": value_summary(out),
                                          "requires_grad": out.requires_grad},
                                   **tensor_meta(out))
        output_ids.append(out_id)
        if out.grad_fn is not None:
            state.add_edge(fn_ids[out.grad_fn], out_id)
        elif out.requires_grad:  # forward returned a leaf itself
            state.add_edge(state.leaf_node(state.leaf_index_or_new(out)), out_id)
    graph = Graph(framework="torch", edges=state.edges)
    leaf_ids = [state.leaf_ids[i] for i in sorted(state.leaf_ids)
                if state.leaf_ids[i] in state.nodes]
    ops = [n for n in state.nodes.values() if n.kind == "op"]
    # Leaves, then ops in forward order, then outputs: a topological order.
    graph.nodes = [state.nodes[i] for i in leaf_ids] + ops + [state.nodes[i] for i in output_ids]
    if record is not None:
        graph.steps, graph.modules = record.steps, record.modules
    summaries = [value_summary(o) for o in outputs]
    graph.output = summaries[0] if len(summaries) == 1 else {"items": summaries}
    return graph

