"""``torch.compile`` beside eager: the FX graphs Dynamo captured, the breaks between them in
plain words with the user's line, the guards that would recompile, and the new graphs each
"Compare inputs" run made Dynamo capture.

No C++ compiler runs: the backend records each FX graph and runs it as it is (no Inductor).
``torch._dynamo.explain`` gives the break reasons and the guards."""
from __future__ import annotations

import contextlib
import re

import torch

from explorer import snippet
from explorer.graph import Edge, Graph, Node
from explorer.modes import check, explain, fx

GUARD_KINDS = {"TENSOR_MATCH": "its dtype, device, shape and requires_grad",
               "EQUALS_MATCH": "its Python value", "CONSTANT_MATCH": "its Python value",
               "TYPE_MATCH": "its type", "LIST_LENGTH": "its length",
               "TUPLE_ITERATOR_LEN": "its length"}
MAX_GUARDS = 12


class Recorder:
    """A torch.compile backend that keeps every FX graph and runs it unchanged."""

    def __init__(self) -> None:
        self.graphs: list[torch.fx.GraphModule] = []

    def __call__(self, gm: torch.fx.GraphModule, example_inputs: list) -> object:
        self.graphs.append(gm)
        return gm.forward


@contextlib.contextmanager
def fresh_dynamo():
    """Dynamo's caches emptied before and after, so runs do not see each other's frames."""
    torch._dynamo.reset()
    try:
        yield
    finally:
        torch._dynamo.reset()


def guard_name(name: str) -> str:
    """``L['x']`` -> ``x``; ``G['layer']._parameters['weight']`` -> ``layer.weight``."""
    name = re.sub(r"^[LG]\['([^']+)'\]", r"\1", name)
    name = re.sub(r"\._(parameters|buffers|modules)\['([^']+)'\]", r".\2", name)
    return re.sub(r"\['([^']+)'\]", r".\1", name)


def guards(out_guards: list) -> list[dict]:
    """The guards on the user's names, once each: what Dynamo checks before reusing a graph."""
    found: dict[str, dict] = {}
    for guard in out_guards:
        kind = getattr(guard, "create_fn_name", lambda: "")()
        what = GUARD_KINDS.get(kind)
        name = guard_name(str(guard.name))
        if not what or "__" in name or "._" in name or name in found:
            continue
        found[name] = {"name": name, "kind": kind,
                       "text": f"{name}: {what} must match, or torch.compile compiles again"}
    return list(found.values())[:MAX_GUARDS]


def model(graphs: list[torch.fx.GraphModule], breaks: list[dict]) -> Graph:
    """One ``GraphModule`` node per captured graph (its FX graph a subgraph), in the order
    Dynamo captured them, joined by control edges; the breaks ride along as ``graph_breaks``."""
    top = Graph(framework="compile", graph_breaks=breaks)
    for i, gm in enumerate(graphs):
        name = f"graph_{i}"
        sub = fx.to_graph(gm, "compile", prefix=f"{name}.")
        top.subgraphs[name] = sub
        lines = sorted({n.attrs["line"] for n in sub.nodes if "line" in n.attrs})
        attrs = {"subgraphs": {"graph": name}, "ops": fx.op_count(sub)}
        if lines:
            attrs["line"], attrs["lines"] = lines[0], [lines[0], lines[-1]]
        top.nodes.append(Node(name, "op", op="GraphModule",
                              label=f"graph {i} \u00b7 {fx.op_count(sub)} ops", attrs=attrs))
        if i:
            top.edges.append(Edge(f"graph_{i - 1}", name, "control"))
    return top


def _breaks(code: str, reasons: list) -> list[dict]:
    found = []
    for reason in reasons:
        frames = [f for f in reason.user_stack if f.filename == snippet.SNIPPET_FILE]
        line = frames[-1].lineno if frames else None
        found.append({"line": line, "reason": explain.graph_break(code, line, reason.reason),
                      "torch_reason": reason.reason.strip()[:500]})
    return found


def view(code: str, seed: int = 0, device: str = "cpu", input_seeds: tuple = ()) -> dict:
    """The compile view of ``code``: graph, breaks, guards, recompilations and the check."""
    eager = check.run(code, seed, device)  # the user's own errors surface here, as eager's
    program = snippet.load(code, seed=seed, device=device)
    with fresh_dynamo():
        try:
            explained = torch._dynamo.explain(program.forward)(*program.args)
        except Exception as exc:  # Dynamo itself raised: the user's error, or ours to tell
            return explain.failure("compile", code, exc)
    breaks = _breaks(code, explained.break_reasons)
    recorder = Recorder()
    made = {}

    def make(prog: snippet.Program):
        made["fn"] = torch.compile(prog.forward, backend=recorder, dynamic=False)
        made["program"] = prog
        return made["fn"]

    with fresh_dynamo():
        badge = check.against_eager(code, seed, device, make, eager)
        recompiles = _recompiles(made, recorder, input_seeds)
    graph = model(recorder.graphs[:recompiles["first"]], breaks)
    return {"status": "ok", "mode": "compile", "graph": graph.to_json(), "check": badge,
            "guards": guards(explained.out_guards), "graph_count": explained.graph_count,
            "break_count": explained.graph_break_count,
            "recompiles": recompiles["runs"], "note": explain.COMPILE_NOTE}


def _recompiles(made: dict, recorder: Recorder, input_seeds: tuple) -> dict:
    """New graphs Dynamo captured for each other input (same weights, ``inputs()`` reseeded)."""
    first = len(recorder.graphs)
    runs = []
    program = made.get("program")
    for input_seed in input_seeds if program is not None else ():
        snippet.seed_everything(int(input_seed))
        before = len(recorder.graphs)
        try:
            args = program.namespace["inputs"]()
            made["fn"](*(args if isinstance(args, tuple) else (args,)))
        except Exception as exc:
            runs.append({"input_seed": int(input_seed), "error": str(exc)[:300]})
            continue
        runs.append({"input_seed": int(input_seed), "new_graphs": len(recorder.graphs) - before})
    return {"first": first, "runs": runs}
