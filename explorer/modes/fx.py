"""A torch.fx GraphModule (Dynamo's capture, torch.export's program) -> Graph.

One node per FX node but the ``get_attr`` of a branch or body GraphModule: a higher-order op
(``cond``, ``while_loop``) links those as ``subgraphs`` (its ``attrs.subgraphs``: role ->
name), as the TF twin links an ``If``'s branch functions. Op names are PyTorch's own:
``aten.sum.default`` for an exported program, ``linear`` / ``gt`` / ``sum`` for Dynamo's
Python-level graph, ``cond`` / ``while_loop`` for the higher-order ops.
"""
from __future__ import annotations

import re
from typing import Any

import torch

from explorer.graph import Edge, Graph, Node
from explorer.snippet import SNIPPET_FILE

LINE = re.compile(r'File "' + re.escape(SNIPPET_FILE) + r'", line (\d+)')
ROLES = {"cond": ("true_fn", "false_fn"), "while_loop": ("cond_fn", "body_fn")}


def user_line(stack_trace: str | None) -> int | None:
    """The innermost line of the user's code in an FX node's ``stack_trace``."""
    found = LINE.findall(stack_trace or "")
    return int(found[-1]) if found else None


def op_name(node: torch.fx.Node) -> str:
    target = node.target
    if node.op == "call_method":
        return str(target)
    if node.op == "call_module":
        return f"module:{target}"
    if isinstance(target, torch._ops.OpOverload):
        return str(target)
    return getattr(target, "__name__", None) or str(target)


def leaf_name(name: str) -> str:
    """Dynamo's placeholder names as the user spells them: ``L_x_`` -> ``x``,
    ``G_linear_layer_parameters_weight_`` -> ``linear_layer.weight``."""
    name = re.sub(r"^(L|G)_", "", name).rstrip("_")
    name = re.sub(r"_(parameters|buffers|modules)_", ".", name)
    return name.replace("_modules_", ".")


def _meta(value: Any) -> dict:
    if isinstance(value, torch.Tensor):
        return {"shape": [int(d) if isinstance(d, int) else -1 for d in value.shape],
                "dtype": str(value.dtype).removeprefix("torch."), "device": str(value.device)}
    return {}


def to_graph(gm: torch.fx.GraphModule, framework: str, names: dict[str, str] | None = None,
             prefix: str = "", params: frozenset[str] = frozenset()) -> Graph:
    """``names``: placeholder name -> what it is in the user's code (export's signature),
    for the branch graphs too; a placeholder in ``params``, or one whose example value is a
    parameter, is a ``param`` node."""
    names = names or {}
    graph = Graph(framework=framework)
    modules = dict(gm.named_children())
    skipped: set[str] = set()
    for node in gm.graph.nodes:
        meta = _meta(node.meta.get("val", node.meta.get("example_value")))
        example = node.meta.get("example_value")
        attrs: dict[str, Any] = {}
        line = user_line(node.meta.get("stack_trace"))
        if line is not None:
            attrs["line"] = line
        if node.op == "get_attr" and node.target in modules:
            skipped.add(node.name)
            continue
        if node.op == "placeholder":
            label = names.get(node.name) or leaf_name(str(node.target))
            is_param = node.name in params or isinstance(example, torch.nn.Parameter)
            graph.nodes.append(Node(node.name, "param" if is_param else "input", label=label,
                                    attrs=attrs, **meta))
        elif node.op == "output":
            graph.nodes.append(Node(node.name, "output", label="output", attrs=attrs))
        else:
            op = op_name(node)
            roles = ROLES.get(op, ())
            links = {}
            for i, arg in enumerate(a for a in node.args if isinstance(a, torch.fx.Node)
                                    and a.op == "get_attr" and a.target in modules):
                role = roles[i] if i < len(roles) else str(arg.target)
                name = f"{prefix}{arg.target}"
                links[role] = name
                graph.subgraphs[name] = to_graph(modules[arg.target], framework, names,
                                                 f"{name}.", params)
            if links:
                attrs["subgraphs"] = links
            graph.nodes.append(Node(node.name, "op", op=op, label=op, attrs=attrs, **meta))
    seen: set[Edge] = set()
    for node in gm.graph.nodes:
        if node.name in skipped:
            continue
        for src in node.all_input_nodes:
            edge = Edge(src.name, node.name)
            if src.name not in skipped and edge not in seen:
                seen.add(edge)
                graph.edges.append(edge)
    return graph


def op_count(graph: Graph) -> int:
    """FX nodes that compute: every node but placeholders and the output."""
    return sum(1 for n in graph.nodes if n.kind == "op")
