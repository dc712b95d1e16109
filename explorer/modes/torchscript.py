"""TorchScript beside eager, as the course teaches it (``torch.jit`` is deprecated since
PyTorch 2.5; the view says so): ``torch.jit.script`` compiles forward's source, so an ``if``
or ``while`` on a tensor becomes ``prim::If`` / ``prim::Loop`` whose blocks are subgraphs, and
each nn.Module the snippet holds (its class's ``forward``), drawn inside the call of it;
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


def script_modules(program: snippet.Program) -> tuple[dict[int, tuple], list[dict]]:
    """Script each nn.Module the snippet's module level holds (TorchScript compiles its
    class's ``forward`` and its submodules'), and have the module run its scripted forward
    from now on (the same parameters: ScriptModules share them). Scripted ``forward`` calls a
    module back in Python (``prim::PythonOp``); that call now runs TorchScript, whose graph
    is drawn inside the op. Returns the scripted ones by ``id`` of the module, and per module
    ``{"name", "class", "status"[, "message"]}`` (a class TorchScript cannot compile stays
    Python, with the reason)."""
    scripted: dict[int, tuple] = {}
    told = []
    for name, module in program.modules():
        entry = {"name": name, "class": type(module).__name__, "status": "ok"}
        try:
            compiled = torch.jit.script(module)
        except Exception as exc:
            message = str(exc)
            entry.update(status="unsupported", torch_message=message.strip()[:1500],
                         message=explain.script_reason(message, explain.user_line(exc, message)))
        else:
            module.forward = compiled.forward
            scripted[id(module)] = (name, compiled)
        told.append(entry)
    return scripted, told


def _scripted(program: snippet.Program, modules: dict | None = None):
    if modules is None:
        modules, _told = script_modules(program)
    return torch.jit.script(program.forward)


def _module_call(node: torch._C.Node, modules: dict) -> tuple | None:
    """The scripted module a ``prim::PythonOp`` calls, if it is one of the snippet's."""
    if node.kind() != "prim::PythonOp":
        return None
    try:
        return modules.get(id(node.pyobj()))
    except RuntimeError:
        return None


def to_graph(block: torch._C.Block | torch._C.Graph, prefix: str = "",
             modules: dict | None = None) -> Graph:
    """One node per TorchScript node; a block's values from outside become its inputs; a
    call of a scripted module (``modules``, by id) holds the module's inlined graph."""
    modules = modules or {}
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
            graph.subgraphs[name] = to_graph(inner, prefix=f"{name}.", modules=modules)
        label = _label(node)
        called = _module_call(node, modules)
        if called is not None:
            module_name, compiled = called
            links["forward"] = f"{nid}.forward"
            graph.subgraphs[links["forward"]] = to_graph(compiled.inlined_graph,
                                                         prefix=f"{nid}.forward.")
            label = f"{module_name}: {compiled.original_name} (scripted)"
            attrs["module"] = module_name
        if links:
            attrs["subgraphs"] = links
        outputs = list(node.outputs())
        graph.nodes.append(Node(nid, "const" if kind == "prim::Constant" else "op", op=kind,
                                label=label, attrs=attrs,
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
        modules, told = script_modules(program)
        try:
            scripted = _scripted(program, modules)
        except Exception as exc:
            return explain.failure("torchscript", code, exc)
    deprecated = next((str(w.message) for w in seen if "deprecated" in str(w.message)), None)
    graph = to_graph(scripted.graph, modules=modules)
    badge = check.against_eager(code, seed, device, _scripted, eager)
    if badge["status"] == "error":  # compiled, but TorchScript's types refuse this input
        line = (explain.user_line(RuntimeError(badge["message"]), badge["message"])
                or program.forward.__code__.co_firstlineno)  # its arguments' types: its def
        return {"status": "unsupported", "mode": "torchscript",
                "message": explain.script_reason(badge["message"], line), "line": line,
                "source_line": explain.source(line) or None,
                "torch_message": badge["message"][:1500]}
    return {"status": "ok", "graph": graph.to_json(), "deprecation": deprecated,
            "python_ops": sum(1 for n in graph.nodes
                              if n.op == "prim::PythonOp" and "module" not in n.attrs),
            "modules": told, "check": badge}


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
