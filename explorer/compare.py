"""Compare runs of one snippet: which nodes each dynamic graph adds or drops against the
first run, and what every run did at each control-flow statement of the code."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from explorer.executed import Branch, control_flow
from explorer.graph import Graph

CONTROL_OPS = ("If", "StatelessIf", "While", "StatelessWhile")
THIS_RUN = "this run"


def autograd_nodes(graph: Graph) -> int:
    """The one count of a PyTorch graph the page shows (its metric, every Compare row): the
    autograd Nodes the run recorded, the graph's ``op`` nodes; leaves and the output are not
    Nodes."""
    return graph.count("op")


def output_text(graph: Graph) -> str:
    """The output's first value as the page prints it everywhere (4 significant digits)."""
    output = graph.output.get("value") or (graph.output.get("items") or [{}])[0].get("value")
    if not output:
        return "-"
    return f"{output[0]:.4g}" if isinstance(output[0], float) else str(output[0])


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
    base_ids = {n.id for n in base.nodes}
    other_ids = {n.id for n in other.nodes}
    delta = Counter(n.op or n.kind for n in other.nodes)
    delta.subtract(Counter(n.op or n.kind for n in base.nodes))
    return GraphDiff(added=[n.id for n in other.nodes if n.id not in base_ids],
                     removed=[n.id for n in base.nodes if n.id not in other_ids],
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


@dataclass
class Comparison:
    """The "Compare inputs" view as data the page only draws: a table row per input seed,
    each run's graph with the nodes the first run did not record, and what the runs did at
    each control-flow op of the one static graph."""

    rows: list[dict]
    base_seed: int | None
    graphs: dict[int, Graph]                 # input seed -> its dynamic graph (runs that ran)
    added: dict[int, list[str]]              # input seed -> nodes the base run did not record
    failure: dict | None = None              # every run failed: the first one's error
    static_lines: dict[str, list[str]] = field(default_factory=dict)  # static node -> notes


def comparison(code: str, runs: list[dict], static: Graph | None = None,
               primary: dict | None = None) -> Comparison:
    """Compare the runs of one snippet (the explore job's ``compare`` list): each graph is
    read once and diffed once against the first run that ran.

    ``primary``: the run of the page's own settings (the job's ``run``, inputs() not
    reseeded), drawn first as ``THIS_RUN`` and the base of every diff, so that the row of the
    current settings is the run the page shows. Counts are ``autograd_nodes`` everywhere."""
    if primary is not None and primary.get("status") == "ok":
        runs = [{**primary, "input_seed": THIS_RUN}, *runs]
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return Comparison([], None, {}, {}, failure=runs[0] if runs else None)
    graphs = {r["input_seed"]: Graph.from_json(r["graph"]) for r in ok}
    base_seed = ok[0]["input_seed"]
    diffs = {seed: diff(graphs[base_seed], g) for seed, g in graphs.items()}
    versus = THIS_RUN if base_seed == THIS_RUN else f"seed {base_seed}"
    rows = []
    for r in runs:
        this = r["input_seed"] == THIS_RUN
        row: dict = ({"inputs": f"this run's (seed {r.get('seed', 0)})", "input seed": None}
                     if this else {"input seed": r["input_seed"]})
        if primary is not None and not this:
            row = {"inputs": f"reseeded: manual_seed({r['input_seed']})", **row}
        if r["status"] != "ok":
            rows.append({**row, "result": r.get("message", r["status"])})
            continue
        graph, d = graphs[r["input_seed"]], diffs[r["input_seed"]]
        new, gone = set(d.added), set(d.removed)
        added = sum(1 for n in graph.nodes if n.kind == "op" and n.id in new)
        removed = sum(1 for n in graphs[base_seed].nodes if n.kind == "op" and n.id in gone)
        row.update(output=output_text(graph), nodes=autograd_nodes(graph),
                   **{f"vs {versus}":
                      "same graph" if d.same else f"+{added} / \u2212{removed}"})
        for b in control_flow(code, r["trace"]):
            if b.kind != "call":
                row[f"line {b.line}: {b.kind}"] = b.summary()
        rows.append(row)
    result = Comparison(rows, base_seed, graphs, {s: d.added for s, d in diffs.items()})
    if static is not None:
        table = branches_by_run(code, [r["trace"] for r in ok])
        result.static_lines = {
            node.id: [f"line {node.attrs['line']}: " + across_runs(table[node.attrs["line"]])]
            for node in static.nodes
            if node.op in CONTROL_OPS and node.attrs.get("line") in table}
    return result
