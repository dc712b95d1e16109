"""``torch.compile`` beside eager: the FX graphs Dynamo captured, the breaks between them in
plain words with the user's line, the guards that would recompile, and the new graphs each
"Compare inputs" run made Dynamo capture.

No C++ compiler runs: the backend records each FX graph and runs it as it is (no Inductor),
and keeps the break reasons and the guards, as ``torch._dynamo.explain`` does (the tests check
the view against explain run apart)."""
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
    """A torch.compile backend that keeps every FX graph and runs it unchanged, with the
    reasons of the graph breaks and the guards Dynamo gave it (as ``torch._dynamo.explain``
    collects them, in the one compile whose graphs run)."""

    def __init__(self) -> None:
        self.graphs: list[torch.fx.GraphModule] = []
        self.break_reasons: list = []
        self.guards: list = []

    def __call__(self, gm: torch.fx.GraphModule, example_inputs: list) -> object:
        self.graphs.append(gm)
        reason = getattr(gm, "compile_subgraph_reason", None)
        if reason is not None and reason.graph_break:
            self.break_reasons.append(reason)
        return gm.forward

    def compile(self, fn):
        return torch._dynamo.optimize(self, nopython=False, guard_export_fn=self.guards.extend)(fn)


@contextlib.contextmanager
def every_break(found: list[dict]):
    """Each graph break Dynamo logs, as {"line", "reason"}: also one before any op, which
    ends no graph (torch._dynamo.explain and the backend never hear of it: an LSTM call
    first in forward runs in Python with no break reported)."""
    from torch._dynamo import symbolic_convert

    translator = symbolic_convert.InstructionTranslatorBase
    logged = translator.log_graph_break

    def spy(self, code_options, reason, exc):
        stack = getattr(exc, "real_stack", None) or torch._guards.TracingContext.extract_stack()
        lines = [f.lineno for f in stack if f.filename == snippet.SNIPPET_FILE]
        if not lines and self.f_code.co_filename == snippet.SNIPPET_FILE:
            lines = [self.lineno]
        found.append({"line": lines[-1] if lines else None, "reason": str(reason)})
        return logged(self, code_options, reason, exc)

    translator.log_graph_break = spy
    try:
        yield found
    finally:
        translator.log_graph_break = logged


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


def _breaks(code: str, reasons: list, logged: list[dict] = ()) -> list[dict]:
    """The breaks that ended a graph, then those Dynamo logged at a line none of them names
    (a break before any op of its frame: no graph ended there)."""
    found = []
    for reason in reasons:
        frames = [f for f in reason.user_stack if f.filename == snippet.SNIPPET_FILE]
        line = frames[-1].lineno if frames else None
        found.append({"line": line, "reason": explain.graph_break(code, line, reason.reason),
                      "torch_reason": reason.reason.strip()[:500]})
    for entry in logged:
        if entry["line"] not in {b["line"] for b in found}:
            found.append({"line": entry["line"], "before_any_op": True,
                          "reason": explain.graph_break(code, entry["line"], entry["reason"]),
                          "torch_reason": entry["reason"].strip()[:500]})
    return found


def view(code: str, seed: int = 0, device: str = "cpu", input_seeds: tuple = ()) -> dict:
    """The compile view of ``code``: graph, breaks, guards, recompilations and the check."""
    eager = check.run(code, seed, device)  # the user's own errors surface here, as eager's
    recorder = Recorder()
    made = {}

    def make(prog: snippet.Program):
        made["fn"] = recorder.compile(prog.forward)
        made["program"] = prog
        return made["fn"]

    with fresh_dynamo(), every_break([]) as logged:
        try:
            badge = check.against_eager(code, seed, device, make, eager)
        except Exception as exc:  # Dynamo itself raised: ours to tell
            return explain.failure("compile", code, exc)
        first = len(recorder.graphs)
        breaks = _breaks(code, recorder.break_reasons, list(logged))
        recompiles = _recompiles(made, recorder, input_seeds)
    graph = model(recorder.graphs[:first], breaks)
    return {"status": "ok", "mode": "compile", "graph": graph.to_json(), "check": badge,
            "guards": guards(recorder.guards), "graph_count": first,
            # torch's count (explain's graph_break_count): every place a graph ended, also
            # where a break inside a called function ends its caller's graph too; and the
            # breaks before any op, which end no graph (explain does not count them)
            "break_count": max(first - 1, 0) + sum(b.get("before_any_op", False)
                                                   for b in breaks),
            "recompiles": recompiles["runs"],
            "note": explain.COMPILE_NOTE}


def _recompiles(made: dict, recorder: Recorder, input_seeds: tuple) -> dict:
    """New graphs Dynamo captured for each other input (same weights, ``inputs()`` reseeded)."""
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
    return {"runs": runs}
