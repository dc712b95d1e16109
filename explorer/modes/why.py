"""Why a mode's gradients differ from eager's, where the cause is known and is PyTorch's own
design, not a bug: the badge then says so in plain words naming the user's line, instead of
a bare "differ" (its numbers and the leaves that differ stay as measured).

- ``torch.export`` of a custom ``torch.autograd.Function``: the exported program holds the
  ATen ops its ``forward`` ran, each differentiated by autograd's own formula; its Python
  ``backward`` is not in the program (``torch.library.custom_op`` with ``register_autograd``
  keeps a custom gradient through export).
- ``torch.jit.trace`` of a ``torch.no_grad()`` block: the trace records the operations, not
  autograd's mode, so the replay records the block that eager did not.

Each cause is found in the user's source (``ast``) and told only where the check found the
outputs equal and gradients differing, the one symptom it explains."""
from __future__ import annotations

import ast

from explorer import snippet

GRAD_OFF = ("no_grad", "inference_mode", "set_grad_enabled")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def custom_functions(tree: ast.AST) -> dict[str, int]:
    """Each ``torch.autograd.Function`` subclass's name and the line of its first ``.apply``
    call (classes never applied are left out)."""
    classes = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
               and any(_dotted(base).endswith(("autograd.Function", "Function"))
                       for base in node.bases)}
    applied: dict[str, int] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "apply" and _dotted(node.func.value) in classes):
            name = _dotted(node.func.value)
            applied[name] = min(applied.get(name, node.lineno), node.lineno)
    return applied


def grad_off_blocks(tree: ast.AST) -> list[int]:
    """Lines of ``with torch.no_grad():`` (and inference_mode, set_grad_enabled) blocks."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                target = call.func if isinstance(call, ast.Call) else call
                if _dotted(target).rsplit(".", 1)[-1] in GRAD_OFF:
                    lines.append(node.lineno)
    return sorted(lines)


def _at(code: str, line: int) -> str:
    """``line N: `text``` of the user's line, without its comment (as ``explain`` says it)."""
    text = (snippet.source_line(code.splitlines(keepends=True), line) or "").split("  #")[0]
    return f"line {line}: `{text.strip()}`" if text.strip() else f"line {line}"


def _differing(badge: dict) -> list[str]:
    return [name for name in badge.get("checked", [])
            if name in badge.get("message", "").split("differing: ", 1)[-1].split(", ")]


def reason(mode: str, code: str, badge: dict) -> str | None:
    """The known cause of ``badge``'s differing gradients in ``mode`` (``export``, ``trace``),
    or None."""
    if (badge.get("status") != "ok" or badge.get("equivalent")
            or badge.get("max_abs_diff_output", 1.0) != 0.0 or "differing: " not in
            badge.get("message", "")):
        return None
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    leaves = ", ".join(_differing(badge)) or "some leaves"
    if mode == "export":
        applied = custom_functions(tree)
        if applied:
            name, line = min(applied.items(), key=lambda item: item[1])
            return (f"{_at(code, line)}: torch.export keeps the operations {name}.forward "
                    f"ran, but not {name}.backward: an exported program is ATen ops, each "
                    f"differentiated by autograd's own formula, so {leaves} get the gradient "
                    f"of forward's operations instead of your backward's. To keep a custom "
                    f"gradient in an exported program, register the operation with "
                    f"torch.library.custom_op and its register_autograd.")
    if mode == "trace":
        blocks = grad_off_blocks(tree)
        if blocks:
            return (f"{_at(code, blocks[0])}: torch.jit.trace records the operations that "
                    f"ran, not autograd's mode, so the traced graph records this block when "
                    f"it runs again, and {leaves} get gradients that eager, which recorded "
                    f"nothing there, does not give them.")
    return None


def annotate(mode: str, code: str, badge: dict) -> dict:
    """``badge`` with ``reason`` and its message in plain words where the cause is known."""
    why = reason(mode, code, badge)
    if why is None:
        return badge
    return {**badge, "reason": why, "message": f"{why} ({badge['message']})"}
