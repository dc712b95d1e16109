"""Framework-neutral graph model: nodes, edges, subgraphs, JSON round trip, topological order.

One node per autograd Node (torch) or per op (TensorFlow). Presentation choices (ghost copies,
rolled loops) never live here: they belong to ``render``.
"""
from __future__ import annotations

import heapq
import json
import re
from dataclasses import dataclass, field
from typing import Any

NODE_KINDS = ("op", "param", "input", "const", "output")
EDGE_KINDS = ("data", "saved", "control")


@dataclass
class Node:
    id: str
    kind: str
    op: str = ""
    label: str = ""
    shape: list[int] | None = None
    dtype: str | None = None
    device: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "op": self.op, "label": self.label,
                "shape": self.shape, "dtype": self.dtype, "device": self.device,
                "attrs": self.attrs}

    @classmethod
    def from_json(cls, data: dict) -> Node:
        return cls(id=data["id"], kind=data["kind"], op=data.get("op", ""),
                   label=data.get("label", ""), shape=data.get("shape"),
                   dtype=data.get("dtype"), device=data.get("device"),
                   attrs=dict(data.get("attrs") or {}))


@dataclass(frozen=True)
class Edge:
    """``src`` feeds ``dst``: edges point the way data flows in the forward pass."""

    src: str
    dst: str
    kind: str = "data"

    def to_json(self) -> dict:
        return {"src": self.src, "dst": self.dst, "kind": self.kind}

    @classmethod
    def from_json(cls, data: dict) -> Edge:
        return cls(src=data["src"], dst=data["dst"], kind=data.get("kind", "data"))


@dataclass
class Graph:
    framework: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    subgraphs: dict[str, Graph] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    # torch.compile's breaks between its FX graphs (``[{"line", "reason"}]``); None elsewhere
    graph_breaks: list[dict] | None = None
    # torch (define-by-run): the executed-line steps of forward in order (``[{"line",
    # "module"}]``; a node's ``attrs.step`` indexes it) and the module calls by path
    # (``{"type", "in", "out", "calls"}``); None where the framework has none
    steps: list[dict] | None = None
    modules: dict[str, dict] | None = None

    # -- access -------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def by_id(self) -> dict[str, Node]:
        return {node.id: node for node in self.nodes}

    def inputs_of(self) -> dict[str, list[Edge]]:
        """Incoming edges of every node, in edge order."""
        incoming: dict[str, list[Edge]] = {node.id: [] for node in self.nodes}
        for edge in self.edges:
            incoming.setdefault(edge.dst, []).append(edge)
        return incoming

    def count(self, kind: str) -> int:
        return sum(1 for node in self.nodes if node.kind == kind)

    # -- JSON ---------------------------------------------------------------------------
    def to_json(self) -> dict:
        data = {"framework": self.framework,
                "nodes": [node.to_json() for node in self.nodes],
                "edges": [edge.to_json() for edge in self.edges],
                "subgraphs": {name: sub.to_json() for name, sub in self.subgraphs.items()},
                "output": self.output}
        for key in ("graph_breaks", "steps", "modules"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def dumps(self, indent: int | None = None) -> str:
        return json.dumps(self.to_json(), indent=indent)

    @classmethod
    def from_json(cls, data: dict) -> Graph:
        return cls(framework=data["framework"],
                   nodes=[Node.from_json(n) for n in data.get("nodes", [])],
                   edges=[Edge.from_json(e) for e in data.get("edges", [])],
                   subgraphs={name: cls.from_json(sub)
                              for name, sub in (data.get("subgraphs") or {}).items()},
                   output=dict(data.get("output") or {}),
                   graph_breaks=data.get("graph_breaks"), steps=data.get("steps"),
                   modules=data.get("modules"))

    @classmethod
    def loads(cls, text: str) -> Graph:
        return cls.from_json(json.loads(text))

    # -- structure ----------------------------------------------------------------------
    def topological_order(self) -> list[str]:
        """Node ids with every edge's ``src`` before its ``dst``; ties keep node order.

        Raises ``ValueError`` naming the nodes left over when the graph has a cycle.
        """
        index = {node.id: i for i, node in enumerate(self.nodes)}
        indegree = {node.id: 0 for node in self.nodes}
        outgoing: dict[str, list[str]] = {node.id: [] for node in self.nodes}
        for edge in self.edges:
            if edge.src in index and edge.dst in index:
                indegree[edge.dst] += 1
                outgoing[edge.src].append(edge.dst)
        ready = [index[nid] for nid, deg in indegree.items() if deg == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            nid = self.nodes[heapq.heappop(ready)].id
            order.append(nid)
            for dst in outgoing[nid]:
                indegree[dst] -= 1
                if indegree[dst] == 0:
                    heapq.heappush(ready, index[dst])
        if len(order) != len(self.nodes):
            done = set(order)
            left = [nid for nid in indegree if nid not in done]
            raise ValueError(f"graph has a cycle through {left[:5]}")
        return order

    def _origin_problems(self, node: Node) -> list[str]:
        """An op's ``attrs.line`` is a line number, its ``step`` one of ``steps`` and its
        ``module`` one of ``modules`` (where the graph has them)."""
        problems = []
        attrs = node.attrs
        line = attrs.get("line")
        if line is not None and not (isinstance(line, int) and line > 0):
            problems.append(f"node {node.id!r} has line {line!r}, not a positive int")
        step = attrs.get("step")
        if step is not None and self.steps is not None and not (
                isinstance(step, int) and 0 <= step < len(self.steps)):
            problems.append(f"node {node.id!r} has step {step!r} outside the run's steps")
        module = attrs.get("module")
        if module is not None and self.modules is not None and module not in self.modules:
            problems.append(f"node {node.id!r} names unknown module {module!r}")
        return problems

    def lint(self) -> list[str]:
        """Every way this graph is not well formed; an empty list means it is."""
        problems: list[str] = []
        seen: set[str] = set()
        for node in self.nodes:
            if not node.id:
                problems.append("a node has an empty id")
            if node.id in seen:
                problems.append(f"duplicate node id {node.id!r}")
            seen.add(node.id)
            if node.kind not in NODE_KINDS:
                problems.append(f"node {node.id!r} has unknown kind {node.kind!r}")
            if node.kind == "op" and not node.op:
                problems.append(f"op node {node.id!r} names no op")
            if node.shape is not None and not all(isinstance(d, int) for d in node.shape):
                problems.append(f"node {node.id!r} has a shape that is not a list of ints")
            for name in node.attrs.get("subgraphs", {}).values():
                if name not in self.subgraphs:
                    problems.append(f"node {node.id!r} links missing subgraph {name!r}")
            problems.extend(self._origin_problems(node))
        edge_set: set[Edge] = set()
        for edge in self.edges:
            for end in (edge.src, edge.dst):
                if end not in seen:
                    problems.append(f"edge {edge.src!r} -> {edge.dst!r} names missing node {end!r}")
            if edge.kind not in EDGE_KINDS:
                problems.append(f"edge {edge.src!r} -> {edge.dst!r} has unknown kind {edge.kind!r}")
            if edge in edge_set:
                problems.append(f"duplicate edge {edge.src!r} -> {edge.dst!r} ({edge.kind})")
            edge_set.add(edge)
        if not problems:
            try:
                self.topological_order()
            except ValueError as err:
                problems.append(str(err))
        for name, sub in self.subgraphs.items():
            problems.extend(f"subgraph {name!r}: {p}" for p in sub.lint())
        return problems


class Namer:
    """Unique readable names in the style of torch.fx: ``mul``, ``mul_1``, ``mul_2``."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._next: dict[str, int] = {}

    def name(self, base: str) -> str:
        base = base or "node"
        candidate = base
        count = self._next.get(base, 0)
        if count:
            candidate = f"{base}_{count}"
        while candidate in self._used:
            count += 1
            candidate = f"{base}_{count}"
        self._next[base] = count + 1
        self._used.add(candidate)
        return candidate


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``NativeLayerNorm`` -> ``native_layer_norm``."""
    return _CAMEL.sub("_", name).lower()
