"""Nested Graphviz clusters from two sources: rolled blocks (a loop's repeats) and open module
calls. Each cluster is a set of drawn shapes; they nest by containment. A cluster that would
cut across one already placed (a module call split by a rolled block's edge) is left out:
Graphviz clusters must nest, and the rolled block, which changes what is drawn, wins. Larger
clusters are placed first, so a module's box holds the loop inside it, and a loop's one drawn
copy holds the module calls of that copy."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from explorer.render_modules import ModuleView, cluster_dom_id

FONT = "Helvetica"
CLUSTER_STYLE = {"style": "rounded,dashed", "color": "#c0392b", "fontcolor": "#c0392b",
                 "fontname": FONT, "fontsize": "11", "labeljust": "l"}
# an open module call: nested boxes a shade darker each level, the label a click target
MODULE_STYLE = {"style": "rounded,filled", "color": "#6f86a8", "fontcolor": "#2c3e57",
                "fontname": FONT, "fontsize": "10", "labeljust": "l", "penwidth": "1.2"}
MODULE_FILLS = ("#f5f8fc", "#ebf1f9", "#e0e9f5", "#d5e1f1")
# Above this many open module calls drawn, none is drawn as a cluster: dot takes 4x as long
# for a 1,000-step loop's 1,000 calls (bench/module_boxes.py), and the page says so.
MAX_MODULE_CLUSTERS = 200


@dataclass
class Cluster:
    key: str                 # ``roll:3`` or the module call id
    attrs: dict[str, str]    # Graphviz attributes (label, style, id)
    members: set[str]        # drawn shape ids


@dataclass
class Forest:
    children: dict[str | None, list[Cluster]] = field(default_factory=dict)
    shapes: dict[str | None, list[str]] = field(default_factory=dict)  # innermost -> shapes
    starts: dict[str, int] = field(default_factory=dict)  # cluster -> its first shape's place

    def first(self, key: str) -> int:
        return self.starts[key]


def nest(order: list[str], clusters: list[Cluster]) -> Forest:
    """Place ``clusters`` (in ``order``'s shape ids) as a forest; shapes in their innermost."""
    ranked = sorted(enumerate(clusters), key=lambda kc: (-len(kc[1].members), kc[0]))
    inner: dict[str, str | None] = {}  # shape -> its innermost placed cluster
    forest = Forest()
    for _, cluster in ranked:
        if not cluster.members:
            continue
        parents = {inner.get(s) for s in cluster.members}
        if len(parents) != 1:
            continue  # it would cut across a placed cluster
        parent = parents.pop()
        forest.children.setdefault(parent, []).append(cluster)
        for shape in cluster.members:
            inner[shape] = cluster.key
    for shape in order:
        forest.shapes.setdefault(inner.get(shape), []).append(shape)
    first = {s: k for k, s in enumerate(order)}
    forest.starts = {c.key: min(first.get(s, 0) for s in c.members)
                     for kids in forest.children.values() for c in kids}
    return forest


def clusters(blocks: list[Any], shapes: list[Any], modules: ModuleView | None) -> list[Cluster]:
    """The rolled blocks and the open module calls of a drawing, as sets of its shapes."""
    out = []
    for k, block in enumerate(blocks):
        label = (f"\u00d7 {block.copies}   ({block.copies} identical repeats of "
                 f"{block.period} ops)")
        out.append(Cluster(str(k), {**CLUSTER_STYLE, "label": label},
                           {s.id for s in shapes if s.cluster == k}))
    if modules is None:
        return out
    calls: dict[str, set[str]] = {}
    for shape in shapes:
        for cid in modules.member.get(shape.node, ()):
            calls.setdefault(cid, set()).add(shape.id)
    if len(calls) > MAX_MODULE_CLUSTERS:
        return out
    for cid, members in calls.items():
        call = modules.clusters[cid]
        fill = MODULE_FILLS[min(call.depth, len(MODULE_FILLS)) - 1]
        out.append(Cluster(f"mod_{cid}", {**MODULE_STYLE, "fillcolor": fill,
                                          "label": call.title, "id": cluster_dom_id(cid),
                                          "tooltip": f"{call.path}: click to close"}, members))
    return out
