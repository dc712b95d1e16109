"""TorchScript beside eager, as the course teaches it (``torch.jit`` is deprecated since
PyTorch 2.5; the view says so): ``torch.jit.script`` compiles forward's source, so an ``if``
or ``while`` on a tensor becomes ``prim::If`` / ``prim::Loop`` whose blocks are subgraphs;
``torch.jit.trace`` runs forward once and records the path this input took, and its
TracerWarning is the lesson, shown with what the trace gives on other inputs.

The source of ``forward`` is the snippet text that ``snippet.compile_snippet`` registered
with linecache, which is where ``inspect.getsource`` (and so TorchScript) reads it."""
from __future__ import annotations

import re
import warnings

import torch

from explorer import snippet
from explorer.graph import Edge, Graph, Node
from explorer.modes import check, explain, why
from explorer.modes.export import Wrapper

BLOCK_ROLES = {"prim::If": ("then_block", "else_block"), "prim::Loop": ("body",)}
LINE = re.compile(r'File "' + re.escape(snippet.SNIPPET_FILE) + r'", line (\d+)')
REPLAY_SEEDS = (1, 2, 3)  # other inputs the trace is replayed on, when none are given


def _line(node: torch._C.Node) -> int | None:
    found = LINE.search(node.sourceRange() or "")
    return int(found.group(1)) if found else None


def _meta(value: torch._C.Value) -> dict:
    kind = value.type()
    if isinstance(kind, torch._C.TensorType) and kind.sizes() is not None:
        dtype = kind.dtype()
        return {"shape": list(kind.sizes()),
                "dtype": str(dtype).removeprefix("torch.") if dtype is not None else None}
    return {}


def _label(node: torch._C.Node) -> str:
    kind = node.kind()
    if kind == "prim::Constant":
        try:
            return f"= {node.output().toIValue()}"[:28]
        except RuntimeError:
            return kind
    if kind == "prim::GetAttr":
        return f"{kind} {node.s('name')}"
    if kind == "prim::PythonOp":
        return f"{kind} (back in Python)"
    return kind


def to_graph(block: torch._C.Block | torch._C.Graph, prefix: str = "") -> Graph:
    """One node per TorchScript node; a block's values from outside become its inputs."""
    graph = Graph(framework="torchscript")
    made: dict[str, str] = {}  # value name -> node id producing it in this graph

    def source(value: torch._C.Value) -> str:
        name = value.debugName()
        if name not in made:  # defined outside this block: an input of the subgraph
            made[name] = f"{prefix}in.{name}"
            graph.nodes.append(Node(made[name], "input", label=name, **_meta(value)))
        return made[name]

    for value in block.inputs():
        if isinstance(value.type(), torch._C.ClassType):
            made[value.debugName()] = ""  # the module itself (a trace's self): not data
            continue
        source(value)
    for i, node in enumerate(block.nodes()):
        nid = f"{prefix}n{i}"
        kind = node.kind()
        attrs: dict = {}
        line = _line(node)
        if line is not None:
            attrs["line"] = line
        links = {}
        for j, inner in enumerate(node.blocks()):
            roles = BLOCK_ROLES.get(kind, ())
            role = roles[j] if j < len(roles) else f"block{j}"
            name = f"{nid}.{role}"
            links[role] = name
            graph.subgraphs[name] = to_graph(inner, prefix=f"{name}.")
        if links:
            attrs["subgraphs"] = links
        outputs = list(node.outputs())
        graph.nodes.append(Node(nid, "const" if kind == "prim::Constant" else "op", op=kind,
                                label=_label(node), attrs=attrs,
                                **(_meta(outputs[0]) if outputs else {})))
        feeds: set[str] = set()  # a value used twice by one node (h * h): one edge
        for value in node.inputs():
            src = source(value)
            if src and src not in feeds:
                feeds.add(src)
                graph.edges.append(Edge(src, nid))
        for value in outputs:
            made[value.debugName()] = nid
    ret = block.returnNode() if isinstance(block, torch._C.Block) else block.return_node()
    graph.nodes.append(Node(f"{prefix}output", "output", label="output"))
    for value in ret.inputs():
        src = source(value)
        if src and Edge(src, f"{prefix}output") not in graph.edges:
            graph.edges.append(Edge(src, f"{prefix}output"))
    return graph


def script(code: str, seed: int, device: str, eager: tuple) -> dict:
    program = snippet.load(code, seed=seed, device=device)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            scripted = torch.jit.script(program.forward)
        except Exception as exc:
            return explain.failure("torchscript", code, exc)
    deprecated = next((str(w.message) for w in seen if "deprecated" in str(w.message)), None)
    graph = to_graph(scripted.graph)
    badge = check.against_eager(code, seed, device,
                                lambda prog: torch.jit.script(prog.forward), eager)
    if badge["status"] == "error":  # compiled, but TorchScript's types refuse this input
        line = explain.user_line(RuntimeError(badge["message"]), badge["message"])
        return {"status": "unsupported", "mode": "torchscript",
                "message": explain.script_reason(badge["message"], line), "line": line,
                "source_line": explain.source(line) or None,
                "torch_message": badge["message"][:1500]}
    return {"status": "ok", "graph": graph.to_json(), "deprecation": deprecated,
            "python_ops": sum(1 for n in graph.nodes if n.op == "prim::PythonOp"),
            "check": badge}


def _trace(program: snippet.Program) -> tuple[torch.jit.ScriptModule, list[dict]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        traced = torch.jit.trace(Wrapper(program), program.args, check_trace=False)
    told = []
    for w in seen:
        if issubclass(w.category, torch.jit.TracerWarning):
            line = w.lineno if w.filename == snippet.SNIPPET_FILE else None
            told.append({"line": line, "message": str(w.message).strip()})
    return traced, told


def trace(code: str, seed: int, device: str, eager: tuple, input_seeds: tuple) -> dict:
    program = snippet.load(code, seed=seed, device=device)
    try:
        traced, told = _trace(program)
    except Exception as exc:
        return explain.failure("torchscript", code, exc)
    graph = to_graph(traced.graph)
    badge = why.annotate("trace", code, check.against_eager(
        code, seed, device, lambda prog: _trace(prog)[0], eager))
    replays = []
    for input_seed in input_seeds or REPLAY_SEEDS:
        snippet.seed_everything(int(input_seed))
        args = program.namespace["inputs"]()
        args = args if isinstance(args, tuple) else (args,)
        try:
            with torch.no_grad():
                got, want = traced(*args), program.forward(*args)
        except Exception as exc:
            replays.append({"input_seed": int(input_seed), "error": str(exc)[:300]})
            continue
        got, want = snippet.output_tensors(got), snippet.output_tensors(want)
        same = len(got) == len(want) and all(
            a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5)
            for a, b in zip(got, want))
        replays.append({"input_seed": int(input_seed), "same_as_eager": bool(same)})
    return {"status": "ok", "graph": graph.to_json(), "warnings": told, "check": badge,
            "replays": replays}


def view(code: str, seed: int = 0, device: str = "cpu", input_seeds: tuple = ()) -> dict:
    """Both TorchScript front ends: ``script`` (blocks) and ``trace`` (one path)."""
    eager = check.run(code, seed, device)
    scripted = script(code, seed, device, eager)
    traced = trace(code, seed, device, eager, tuple(input_seeds))
    snippet.compile_snippet(code)
    main = scripted if scripted["status"] == "ok" else traced
    return {"status": "ok" if main["status"] == "ok" else "unsupported", "mode": "torchscript",
            "graph": main.get("graph"), "script": scripted, "trace": traced,
            "check": main.get("check"), "message": scripted.get("message"),
            "note": f"{explain.SCRIPT_NOTE} {explain.TRACE_NOTE}", "deprecated": True}
