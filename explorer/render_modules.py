"""Modules as boxes: the nodes of each ``nn.Module`` call grouped, nested, collapsible.

A node's module is ``attrs.module``, the innermost module call it ran inside (torch: forward
hooks; TF: the twin's module calls, named with torch's paths). Its enclosing calls are the
path's prefixes that are modules too (``encoder.layers.0.self_attn`` inside
``encoder.layers.0`` inside ``encoder``; ``encoder.layers``, a ModuleList nobody calls, is
none). A module called many times (a cell in a loop) makes one *call* per maximal run of its
ops in a topological order: a run is convex (every path between two of its ops stays inside
it), so a call collapsed to one box never makes a cycle. Two calls with no op between them
(``lin(lin(x))``) are one run, drawn as one box.

``collapse`` returns a new Graph in which each closed call is one op node (``model.0 ·
Linear``, its input and output shapes), edges rewired to it, and, for the open calls, which
drawn nodes each holds: ``render`` draws those as nested Graphviz clusters. Pure presentation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.graph import Edge, Graph, Node
from explorer.render_decoration import Decoration

BOX_PREFIX = "module:"   # a box node's id: BOX_PREFIX + call id
CLUSTER_DOM = "cluster_mod_"  # the DOM id of an open call's cluster: CLUSTER_DOM + sanitised id
BOX_STYLE = {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#dfe8f5",
             "color": "#4a6591", "peripheries": "2"}  # a closed call


@dataclass(frozen=True)
class Call:
    id: str                 # ``path#k``: the k-th run of ``path``'s ops
    path: str
    type: str
    depth: int              # 1: a call at the top
    parent: str | None      # the enclosing call's id
    inputs: list[list[int]] = field(default_factory=list)
    outputs: list[list[int]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.path} \u00b7 {self.type}" if self.type else self.path


@dataclass
class ModuleCalls:
    calls: dict[str, Call]                 # in order of their first op
    chain: dict[str, tuple[str, ...]]      # node id -> its calls, outer to inner

    @property
    def depth(self) -> int:
        return max((c.depth for c in self.calls.values()), default=0)


@dataclass
class ModuleView:
    """A graph with closed calls as boxes, and the open calls drawn around their nodes."""

    graph: Graph
    clusters: dict[str, Call]              # open calls that hold a drawn node
    member: dict[str, tuple[str, ...]]     # drawn node -> its open calls, outer to inner
    drawn_as: dict[str, str]               # hidden node -> the box drawn in its place
    dom: dict[str, str]                    # DOM id of a cluster or a box -> call id
    deepest: int = 0                       # the deepest call's depth
    box_out: dict[str, str] = field(default_factory=dict)  # box -> the node of its result


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "_." else "_" for c in text)


def cluster_dom_id(call_id: str) -> str:
    return CLUSTER_DOM + _safe(call_id)


def _paths_of(module: str, known: dict | None) -> list[str]:
    parts = module.split(".")
    prefixes = [".".join(parts[:k]) for k in range(1, len(parts) + 1)]
    return [p for p in prefixes if known is None or p in known or p == module]


def _crossing(graph: Graph, chain: dict[str, tuple[str, ...]]) -> tuple[dict, dict]:
    """Call id -> the shapes of the tensors crossing into it and out of it, each source
    once, in edge order; a parameter (shared by the calls of a loop, so outside each) is the
    module's, not an input. One pass over the edges."""
    by_id = graph.by_id()
    inward: dict[str, dict[str, list[int]]] = {}
    outward: dict[str, dict[str, list[int]]] = {}
    for e in graph.edges:
        src, dst = chain.get(e.src, ()), chain.get(e.dst, ())
        shape = by_id[e.src].shape
        if shape is None:
            continue
        if by_id[e.src].kind != "param" and by_id[e.src].op != "AccumulateGrad":
            for cid in dst:
                if cid not in src:
                    inward.setdefault(cid, {}).setdefault(e.src, shape)
        for cid in src:
            if cid not in dst:
                outward.setdefault(cid, {}).setdefault(e.src, shape)
    return ({c: list(v.values()) for c, v in inward.items()},
            {c: list(v.values()) for c, v in outward.items()})


def module_calls(graph: Graph, modules: dict | None = None) -> ModuleCalls:
    """Every module call of ``graph`` and the calls each node is in. ``modules`` (path ->
    ``{"type", "in", "out"}``) defaults to the graph's own (torch); a tf.function graph takes
    the torch run's, whose paths its ops carry."""
    known = modules if modules is not None else graph.modules
    by_id = graph.by_id()
    order = [i for i in graph.topological_order()
             if by_id[i].kind == "op" and by_id[i].op != "AccumulateGrad"]
    paths = {i: _paths_of(by_id[i].attrs["module"], known) for i in order
             if isinstance(by_id[i].attrs.get("module"), str) and by_id[i].attrs["module"]}
    runs: dict[str, int] = {}      # path -> the number of its runs so far
    open_run: dict[str, str] = {}  # path -> the call id of its run still going
    calls: dict[str, Call] = {}
    chain: dict[str, tuple[str, ...]] = {}
    for node_id in order:
        mine = paths.get(node_id, [])
        for path in list(open_run):  # a run ends at the first op outside it
            if path not in mine:
                del open_run[path]
        ids = []
        for depth, path in enumerate(mine, 1):
            if path not in open_run:
                k = runs.get(path, 0)
                runs[path] = k + 1
                cid = f"{path}#{k}"
                open_run[path] = cid
                info = (known or {}).get(path, {})
                calls[cid] = Call(cid, path, info.get("type", ""), depth,
                                  ids[-1] if ids else None)
            ids.append(open_run[path])
        if ids:
            chain[node_id] = tuple(ids)
    _place_leaves(graph, chain, calls)
    inward, outward = _crossing(graph, chain)
    for cid, call in calls.items():
        info = (known or {}).get(call.path, {})
        first = call.id.endswith("#0")  # the torch run recorded its first call's shapes
        calls[cid] = Call(call.id, call.path, call.type, call.depth, call.parent,
                          info["in"] if first and "in" in info else inward.get(cid, []),
                          info["out"] if first and "out" in info else outward.get(cid, []))
    return ModuleCalls(calls, chain)


def _place_leaves(graph: Graph, chain: dict[str, tuple[str, ...]], calls: dict[str, Call]) -> None:
    """A parameter goes in the innermost call that holds every op using it and whose path
    its name starts with (``model.0.weight`` in ``model.0``); its AccumulateGrad with it."""
    by_id = graph.by_id()
    users: dict[str, list[str]] = {}
    acc_of: dict[str, str] = {}
    for e in graph.edges:
        if by_id[e.dst].op == "AccumulateGrad" and by_id[e.src].kind == "param":
            acc_of[e.dst] = e.src
    for e in graph.edges:
        src = acc_of.get(e.src, e.src)
        if by_id[src].kind == "param" and e.dst not in acc_of:
            users.setdefault(src, []).append(e.dst)
    for leaf, used_by in users.items():
        chains = [chain.get(u, ()) for u in used_by]
        common: tuple[str, ...] = ()
        for k in range(min(len(c) for c in chains)):
            if len({c[k] for c in chains}) > 1:
                break
            common = chains[0][:k + 1]
        while common and not leaf.startswith(calls[common[-1]].path + "."):
            common = common[:-1]
        if common:
            chain[leaf] = common
    for acc, leaf in acc_of.items():
        if leaf in chain:
            chain[acc] = chain[leaf]


def is_open(call: Call, depth: int | None, toggled: frozenset[str] | set[str]) -> bool:
    """Open where its depth is within ``depth`` (None: all), unless the user toggled it."""
    default = depth is None or call.depth <= depth
    return default != (call.id in toggled)


def collapse(graph: Graph, depth: int | None = None, toggled: frozenset[str] = frozenset(),
             modules: dict | None = None, calls: ModuleCalls | None = None) -> ModuleView:
    """``graph`` with every closed call whose enclosing calls are open drawn as one box.

    ``depth``: module calls nested deeper than this start closed (0: each top-level call is
    one box; None: all open); ``toggled``: call ids whose state the user flipped by a click."""
    mc = calls or module_calls(graph, modules)
    box_of: dict[str, str] = {}
    member: dict[str, tuple[str, ...]] = {}
    boxes: dict[str, Call] = {}
    for node_id, ids in mc.chain.items():
        shown: list[str] = []
        for cid in ids:
            call = mc.calls[cid]
            if not is_open(call, depth, toggled):
                box_of[node_id] = BOX_PREFIX + cid
                boxes[cid] = call
                break
            shown.append(cid)
        member[node_id] = tuple(shown)
    nodes: list[Node] = []
    placed: set[str] = set()
    for node in graph.nodes:  # a box where its first op was (the op order rolling reads)
        box = box_of.get(node.id)
        if box is None:
            nodes.append(node)
            continue
        if box in placed or node.kind != "op" or node.op == "AccumulateGrad":
            continue
        placed.add(box)
        call = boxes[box[len(BOX_PREFIX):]]
        parent = mc.calls[call.parent].path if call.parent else None
        nodes.append(Node(id=box, kind="op", op=f"module {call.path}", label=call.title,
                          shape=call.outputs[0] if len(call.outputs) == 1 else None,
                          attrs={"module_box": call.id, "module": parent,
                                 "in": call.inputs, "out": call.outputs}))
        member[box] = member[node.id]
    edges: list[Edge] = []
    place = {n.id: k for k, n in enumerate(graph.nodes)}
    box_out: dict[str, str] = {}  # the last made of a box's nodes feeding outside it
    for e in graph.edges:
        box = box_of.get(e.src)
        if box is not None and box_of.get(e.dst) != box and \
                place[e.src] >= place.get(box_out.get(box, e.src), -1):
            box_out[box] = e.src
    seen: set[Edge] = set()
    for e in graph.edges:
        edge = Edge(box_of.get(e.src, e.src), box_of.get(e.dst, e.dst), e.kind)
        if edge.src != edge.dst and edge not in seen:
            seen.add(edge)
            edges.append(edge)
    view = Graph(graph.framework, nodes, edges, graph.subgraphs, graph.output,
                 graph.graph_breaks, graph.steps, graph.modules)
    drawn = {n.id for n in nodes}
    member = {n: ids for n, ids in member.items() if n in drawn and ids}
    clusters = {cid: mc.calls[cid] for ids in member.values() for cid in ids}
    dom = {cluster_dom_id(cid): cid for cid in clusters}
    dom.update({"node_" + _safe(BOX_PREFIX + cid): cid for cid in boxes})
    return ModuleView(view, clusters, member, box_of, dom, mc.depth, box_out)


def decorate(view: ModuleView | None, deco: Decoration | None) -> Decoration | None:
    """A closed box shows what its result's node would: its value and gradient lines, its
    fill and tooltip (``deco`` is keyed by the graph's nodes, some of them hidden)."""
    if view is None or deco is None:
        return deco
    lines, style = dict(deco.node_lines), dict(deco.node_style)
    for box, out in view.box_out.items():
        if out in deco.node_lines:
            lines[box] = deco.node_lines[out]
        if out in deco.node_style:
            style[box] = {k: v for k, v in deco.node_style[out].items()
                          if k in ("fillcolor", "tooltip")}
    return Decoration(node_lines=lines, node_style=style, edge_style=deco.edge_style)


def _shape_list(shapes: list[list[int]]) -> str:
    text = ", ".join("scalar" if not s else "(" + ", ".join(map(str, s)) + ")" for s in shapes)
    return text or "-"


def box_lines(node: Node) -> list[str]:
    """A closed call's label: ``model.0 · Linear``, then ``(3, 4) → (3, 8)``."""
    attrs = node.attrs
    return [node.label, f"{_shape_list(attrs.get('in') or [])} \u2192 "
                        f"{_shape_list(attrs.get('out') or [])}", "click to open"]
