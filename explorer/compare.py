"""Compare runs of one snippet: which nodes each dynamic graph adds or drops against the
first run, and what every run did at each control-flow statement of the code."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from explorer.executed import Branch, control_flow
from explorer.graph import Graph


@dataclass
class GraphDiff:
    added: list[str] = field(default_factory=list)     # node ids only in the other run
    removed: list[str] = field(default_factory=list)   # node ids only in the base run
    op_delta: dict[str, int] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        return not self.added and not self.removed


def diff(base: Graph, other: Graph) -> GraphDiff:
    """Node ids are numbered in the order the forward pass ran (``tanh_3``), so the ids two
    runs do not share are the nodes one run recorded and the other did not."""
    base_ids = [n.id for n in base.nodes]
    other_ids = [n.id for n in other.nodes]
    delta = Counter(n.op or n.kind for n in other.nodes)
    delta.subtract(Counter(n.op or n.kind for n in base.nodes))
    return GraphDiff(added=[i for i in other_ids if i not in set(base_ids)],
                     removed=[i for i in base_ids if i not in set(other_ids)],
                     op_delta={op: n for op, n in sorted(delta.items()) if n})


def branches_by_run(code: str, traces: list[dict]) -> dict[int, list[Branch]]:
    """Statement line -> the Branch of each run, for the if/while/for statements."""
    table: dict[int, list[Branch]] = {}
    for trace in traces:
        for branch in control_flow(code, trace):
            if branch.kind != "call":
                table.setdefault(branch.line, []).append(branch)
    return table


def across_runs(branches: list[Branch]) -> str:
    """One line on what several runs did at one statement: arms taken, iteration range."""
    if not branches:
        return ""
    kind = branches[0].kind
    n = len(branches)
    if kind == "if":
        then = sum(1 for b in branches if b.then)
        orelse = sum(1 for b in branches if b.orelse)
        return f"then in {then}/{n} runs, else in {orelse}/{n}"
    counts = sorted(b.iterations for b in branches)
    spread = f"{counts[0]}" if counts[0] == counts[-1] else f"{counts[0]}\u2013{counts[-1]}"
    return f"{spread} iterations across {n} runs"
