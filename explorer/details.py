"""What the page shows about one selected node: plain rows a table can display."""
from __future__ import annotations

from explorer.graph import Graph, Node
from explorer.render import shape_text

KIND_NAMES = {"op": "operation", "param": "parameter (leaf, requires grad)",
              "input": "input of forward", "const": "tensor that needs no grad",
              "output": "output of forward"}


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def value_text(value: object) -> str:
    """A value summary (``{"value": [...], "truncated": ...}``, as capture writes it), a
    list of them (an op with several outputs) or a plain number, as one short line."""
    if isinstance(value, dict) and isinstance(value.get("value"), list):
        shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v)
                          for v in value["value"])
        return f"[{shown}{', ...' if value.get('truncated') else ''}]"
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        return "; ".join(value_text(item) for item in value["items"])
    if isinstance(value, (list, tuple)):
        return "; ".join(value_text(item) for item in value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def node_rows(graph: Graph, node: Node) -> list[tuple[str, str]]:
    incoming = [e.src for e in graph.edges if e.dst == node.id]
    outgoing = [e.dst for e in graph.edges if e.src == node.id]
    rows = [("id", node.id), ("kind", KIND_NAMES.get(node.kind, node.kind))]
    if node.op:
        rows.append(("op", node.op))
    rows += [("shape", shape_text(node.shape) or "-"), ("dtype", node.dtype or "-"),
             ("device", node.device or "-")]
    if "sequence_nr" in node.attrs:
        rows.append(("created", f"#{node.attrs['sequence_nr']} in the forward pass"))
    if "requires_grad" in node.attrs:
        rows.append(("requires_grad", str(node.attrs["requires_grad"])))
    value = node.attrs.get("value")
    if value:
        rows.append(("value", value_text(value)))
    rows.append(("inputs", ", ".join(incoming) or "-"))
    rows.append(("feeds", ", ".join(outgoing) or "-"))
    for key, val in node.attrs.get("saved_args", {}).items():
        rows.append((f"saved {key}", str(val)))
    for key, val in node.attrs.items():
        if key not in ("saved", "saved_args", "value", "sequence_nr", "requires_grad",
                       "subgraphs", "bytes") and isinstance(val, (str, int, float, bool)):
            rows.append((key, str(val)))
    return rows


def saved_rows(node: Node) -> list[dict]:
    """The tensors autograd keeps for this node's backward, with their memory."""
    return [{"saved": s["name"], "shape": shape_text(s["shape"]), "dtype": s.get("dtype", ""),
             "memory": format_bytes(s.get("bytes", 0)),
             "is": (f"view of {s['leaf']}" if s.get("view") else s["leaf"]) if s.get("leaf")
             else "an intermediate result"}
            for s in node.attrs.get("saved", [])]
