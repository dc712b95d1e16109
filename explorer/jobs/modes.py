"""The ``modes`` job: one of PyTorch's own graph modes (``torch.compile``, ``torch.export``,
TorchScript) on the snippet, beside eager, computed on demand when the page switches to it
(off the Run's critical path).

Request ``{"code", "seed", "device", "mode"[, "input_seeds", "export_code"]}``: ``mode`` is
one of ``explorer.modes.MODES``; ``input_seeds`` (compile, TorchScript's trace) are the
"Compare inputs" seeds; ``export_code`` the user's edit of the torch.cond rewrite. Returns
the mode's view (``status`` ok, or ``unsupported`` with the reason in plain words) or the
user's error, as eager PyTorch raised it."""
from __future__ import annotations

import importlib

from explorer import snippet

MAX_INPUTS = 8
# What the modes import, and what Dynamo and torch.export import on their first use (about
# 0.5 s of a fresh worker's first view): imported when the warm template preloads this job,
# before it forks, so no run pays for them. Imports only: none starts a thread.
FIRST_USE = ("explorer.modes.compile", "explorer.modes.export", "explorer.modes.torchscript",
             "functorch.compile", "networkx", "sympy.combinatorics", "torch.export",
             "torch._export.passes.replace_set_grad_with_hop_pass",
             "torch._export.passes.replace_autocast_with_hop_pass", "torch._inductor.ir",
             "torch._higher_order_ops.cond", "torch._higher_order_ops.while_loop")
for _name in FIRST_USE:
    importlib.import_module(_name)


def run(request: dict) -> dict:
    from explorer import modes

    mode = request.get("mode", "compile")
    if mode not in modes.MODES:
        return {"status": "error", "message": f"mode must be one of {', '.join(modes.MODES)}, "
                f"not {mode!r}"}
    options: dict = {}
    if mode in ("compile", "torchscript"):
        options["input_seeds"] = tuple(int(s) for s in request.get("input_seeds", ()))[:MAX_INPUTS]
    if mode == "export" and request.get("export_code"):
        options["export_code"] = request["export_code"]
    try:
        return modes.view(mode, request["code"], seed=int(request.get("seed", 0)),
                          device=request.get("device", "cpu"), **options)
    except snippet.SnippetError as err:
        return err.to_json()

