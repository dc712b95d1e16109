"""tf.function graph -> Graph: one node per op of the concrete function's GraphDef.

Node ids are TF's op names (unique in a graph), except that captured variables and the
function's arguments take the torch paths they stand for (``linear_layer.weight``, ``x``), so
the two graphs of one snippet share names. Every function a control-flow op runs (``If``'s
``then_branch``/``else_branch``, ``While``'s ``cond``/``body``) becomes a subgraph of the graph
holding that op, linked from ``attrs["subgraphs"]``; functions are converted once each, with
an explicit stack.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from explorer.capture import tf_origin
from explorer.graph import Edge, Graph, Namer, Node

VALUE_PREVIEW = 16
DTYPE_ATTRS = ("T", "dtype", "out_type", "DstT", "Tout", "output_types")
# Control-flow ops whose first input is the branch selector, not an argument of the branches.
ARG_OFFSET = {"If": 1, "StatelessIf": 1, "Case": 1, "StatelessCase": 1}
# The output an op's box shows: a While's first two are TF's loop counter and iteration limit.
MAIN_OUTPUT = {"While": 2, "StatelessWhile": 2}
LEAF_KINDS = ("param", "input")  # an argument fed straight from one of these is drawn as it


@dataclass
class ArgInfo:
    """What an argument of a function stands for, seen from the op that calls it."""

    kind: str = "input"
    label: str = ""
    shape: list[int] | None = None
    dtype: str | None = None


@dataclass
class _Builder:
    """One graph under construction: its nodes, edges and the functions its ops call."""

    graph: Graph
    ids: dict[str, str] = field(default_factory=dict)      # TF name -> node id
    calls: list[tuple[str, list[ArgInfo]]] = field(default_factory=list)
    edge_set: set[Edge] = field(default_factory=set)

    def add_edge(self, src: str, dst: str, kind: str = "data") -> None:
        edge = Edge(self.ids.get(src, src), self.ids.get(dst, dst), kind)
        if edge not in self.edge_set and edge.src != edge.dst:
            self.edge_set.add(edge)
            self.graph.edges.append(edge)


def json_number(value: Any) -> Any:
    """A number as JSON holds it: NaN and infinity spelled as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def value_summary(value: Any) -> dict:
    """Shape plus the first few values of an array, JSON-safe, as capture.torch writes it."""
    array = np.asarray(value)
    flat = array.reshape(-1)[:VALUE_PREVIEW]
    values = [json_number(v) for v in flat.tolist()] if array.dtype.kind in "biuf" else []
    return {"shape": list(array.shape), "dtype": str(array.dtype), "value": values,
            "truncated": array.size > VALUE_PREVIEW}


def _dtype_name(enum: int) -> str | None:
    try:
        return tf.dtypes.as_dtype(enum).name
    except TypeError:
        return None


def _shape_of(proto: Any) -> list[int] | None:
    return None if proto.unknown_rank else [int(d.size) for d in proto.dim]


def _output_shapes(node_def: Any) -> list[list[int] | None]:
    attrs = node_def.attr
    shapes = attrs["_output_shapes"].list.shape if "_output_shapes" in attrs else []
    return [_shape_of(s) for s in shapes]


def _node_meta(node_def: Any) -> dict:
    attrs = node_def.attr
    shapes = _output_shapes(node_def)
    shown = MAIN_OUTPUT.get(node_def.op, 0)
    dtype = None
    for key in DTYPE_ATTRS:
        if key in attrs:
            value = attrs[key]
            types = value.list.type
            enum = value.type if value.WhichOneof("value") == "type" else (
                types[min(shown, len(types) - 1)] if types else None)
            dtype = _dtype_name(enum) if enum is not None else None
            break
    return {"shape": shapes[shown] if len(shapes) > shown else None, "dtype": dtype}


def _const_value(node_def: Any) -> list | None:
    """The values of a small numeric Const, for the picture (``Greater/y`` = 0)."""
    if node_def.op != "Const":
        return None
    array = tf.make_ndarray(node_def.attr["value"].tensor)
    if array.size > VALUE_PREVIEW or array.dtype.kind not in "biuf":
        return None
    return [json_number(v) for v in array.reshape(-1).tolist()]


def _function_links(node_def: Any) -> dict[str, str]:
    """attr name -> function name, for every function-valued attr of an op."""
    links = {}
    for key, value in sorted(node_def.attr.items()):
        kind = value.WhichOneof("value")
        if kind == "func":
            links[key] = value.func.name
        elif kind == "list" and value.list.func:
            links.update((f"{key}[{i}]", f.name) for i, f in enumerate(value.list.func))
    return links


def _source(name: str) -> tuple[str, str]:
    """An input string -> (source node name, edge kind): ``^a`` control, ``a:1``, ``a:z:0``."""
    if name.startswith("^"):
        return name[1:], "control"
    return name.split(":", 1)[0], "data"


def _add_ops(builder: _Builder, node_defs: Iterable[Any]) -> None:
    """An op node per NodeDef (skipping those already added as params/inputs), then edges."""
    node_defs = list(node_defs)
    for node_def in node_defs:
        if node_def.name in builder.ids:
            continue
        builder.ids[node_def.name] = node_def.name  # unique within its graph already
        attrs: dict[str, Any] = {}
        links = _function_links(node_def)
        if links:
            attrs["subgraphs"] = links
        value = _const_value(node_def)
        if value is not None:
            attrs["value"] = value
        shapes = _output_shapes(node_def)
        if len(shapes) > 1:
            attrs["output_shapes"] = shapes
        builder.graph.nodes.append(Node(id=builder.ids[node_def.name], kind="op", op=node_def.op,
                                        label=node_def.op, device="cpu", attrs=attrs,
                                        **_node_meta(node_def)))
    known = {n.id: n for n in builder.graph.nodes}
    for node_def in node_defs:
        data_inputs = []
        for name in node_def.input:
            src, kind = _source(name)
            if src in builder.ids:
                builder.add_edge(src, node_def.name, kind)
                if kind == "data":
                    data_inputs.append(known[builder.ids[src]])
        links = _function_links(node_def)
        if links:
            offset = ARG_OFFSET.get(node_def.op, 0)
            args = [ArgInfo(n.kind, n.label, n.shape, n.dtype) if n.kind in LEAF_KINDS
                    else ArgInfo() for n in data_inputs[offset:]]
            builder.calls.extend((fn, args) for fn in links.values())


def _function_graph(fn: Any, args: list[ArgInfo]) -> _Builder:
    """A FunctionDef (a branch or loop body) as a Graph: its arguments, ops and returns."""
    builder = _Builder(Graph(framework="tf"))
    namer = Namer()
    for node_def in fn.node_def:
        namer.name(node_def.name)  # op names first: arguments and returns must not take them
    for i, arg in enumerate(fn.signature.input_arg):
        info = args[i] if i < len(args) else ArgInfo()
        shapes = fn.arg_attr[i].attr["_output_shapes"].list.shape if i in fn.arg_attr and \
            "_output_shapes" in fn.arg_attr[i].attr else []
        builder.ids[arg.name] = namer.name(arg.name)
        builder.graph.nodes.append(Node(
            id=builder.ids[arg.name], kind=info.kind, label=info.label or arg.name, device="cpu",
            shape=info.shape if info.shape is not None else (
                _shape_of(shapes[0]) if shapes else None),
            dtype=info.dtype or _dtype_name(arg.type), attrs={"arg": arg.name}))
    _add_ops(builder, fn.node_def)
    for i, out in enumerate(fn.signature.output_arg):
        out_id = namer.name(out.name)
        builder.graph.nodes.append(Node(id=out_id, kind="output", label=f"return {i}",
                                        dtype=_dtype_name(out.type), device="cpu"))
        builder.add_edge(_source(fn.ret[out.name])[0], out_id)
    return builder


def capture(concrete: Any, input_names: list[str], variables: list[tuple[Any, str]],
            source_file: str | None = None) -> Graph:
    """The graph of ``concrete`` (a ConcreteFunction). ``input_names`` name its tensor
    arguments in order; ``variables`` pairs each captured tf.Variable with its torch path.
    With ``source_file``, each op made by a line of that file, in the function and in its
    branches and bodies, records it as ``attrs["line"]`` (AutoGraph maps its generated code
    back to the source in op tracebacks), so the page can tell which ``if`` became which
    ``If``; an op made inside a twin module call records its torch path as ``attrs["module"]``
    (``tf_origin``).

    Capture before taking gradients through the function: TensorFlow then rewrites its
    branch functions to also return the intermediates the gradient needs."""
    func_graph = concrete.graph
    graph_def = func_graph.as_graph_def(add_shapes=True)
    library = {f.signature.name: f for f in graph_def.library.function}
    builder = _Builder(Graph(framework="tf"))
    leaves = _leaves(func_graph, input_names, variables)
    namer = Namer()
    for node_def in graph_def.node:  # op names first; the leaves then take torch's names
        if node_def.name not in leaves:
            namer.name(node_def.name)
    for name, node in leaves.items():
        node.id = builder.ids[name] = namer.name(node.label)
        builder.graph.nodes.append(node)
    _add_ops(builder, graph_def.node)
    for tensor in func_graph.outputs:
        out_id = namer.name("output")
        builder.graph.nodes.append(Node(
            id=out_id, kind="output", label=out_id, device="cpu",
            shape=tensor.shape.as_list() if tensor.shape.rank is not None else None,
            dtype=tensor.dtype.name))
        builder.add_edge(tensor.op.name, out_id)
    _link_functions(builder, library)
    if source_file:
        tf_origin.annotate(builder.graph, func_graph, builder.ids, source_file)
    return builder.graph


def set_outputs(graph: Graph, outputs: list[Any]) -> None:
    """The values of one run on the output nodes and in ``graph.output``, as torch's."""
    summaries = [value_summary(o) for o in outputs]
    for node, item in zip((n for n in graph.nodes if n.kind == "output"), summaries):
        node.attrs["value"] = item
    graph.output = summaries[0] if len(summaries) == 1 else {"items": summaries}


def arguments(func_graph: Any) -> list[Any]:
    """The placeholders of the function's own arguments, in order: its inputs less those that
    stand for what it captured (variables, constants)."""
    captured = {internal.op.name for _, internal in func_graph.captures}
    return [t for t in func_graph.inputs if t.op.name not in captured]


def _leaves(func_graph: Any, input_names: list[str], variables: list[tuple[Any, str]],
            ) -> dict[str, Node]:
    """TF placeholder name -> the input or param node it stands for (ids set by the caller):
    the function's arguments in order, then the variables it captured."""
    leaves: dict[str, Node] = {}
    captured = {internal.op.name: external for external, internal in func_graph.captures}
    for tensor, label in zip(arguments(func_graph), input_names):
        leaves[tensor.op.name] = Node(
            id="", kind="input", label=label, device="cpu", dtype=tensor.dtype.name,
            shape=tensor.shape.as_list() if tensor.shape.rank is not None else None,
            attrs={"tf_name": tensor.op.name})
    for name, external in captured.items():
        variable, path = next(((v, p) for v, p in variables
                               if getattr(v, "handle", None) is external), (None, None))
        if variable is not None:  # else a captured constant: drawn as the Placeholder it is
            leaves[name] = Node(id="", kind="param", label=path, device="cpu",
                                shape=variable.shape.as_list(), dtype=variable.dtype.name,
                                attrs={"tf_name": name, "trainable": bool(variable.trainable)})
    return leaves


def _link_functions(root: _Builder, library: dict[str, Any]) -> None:
    """Give every graph the subgraphs its ops call, converting each function once. A
    subgraph is named after its function without TF's process-wide counter (``cond_true_34``
    -> ``cond_true``), so names do not depend on what was traced before; ``attrs["functions"]``
    keeps TF's own names."""
    built: dict[str, _Builder] = {}
    stable: dict[str, str] = {}
    namer = Namer()
    stack = [root]
    while stack:
        builder = stack.pop()
        for name, args in builder.calls:
            if name in library and name not in built:
                stable[name] = namer.name(re.sub(r"_\d+$", "", name))
                built[name] = _function_graph(library[name], args)
                stack.append(built[name])
            if name in built:
                builder.graph.subgraphs[stable[name]] = built[name].graph
        for node in builder.graph.nodes:
            if "subgraphs" in node.attrs and "functions" not in node.attrs:
                node.attrs["functions"] = node.attrs["subgraphs"]
                node.attrs["subgraphs"] = {k: stable.get(v, v)
                                           for k, v in node.attrs["functions"].items()}
