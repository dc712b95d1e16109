"""The ``run`` job: run a snippet's forward and backward once and say how it went: the
outputs (shape, a few values, NaN or not) and the gradient norms of its leaves. The user's
prints come back as ``stdout`` (the worker captures them)."""
from __future__ import annotations

import time

import torch

from explorer import snippet

MAX_VALUES = 16


def summary(tensor: torch.Tensor) -> dict:
    flat = tensor.detach().flatten()
    return {"shape": list(tensor.shape), "dtype": str(tensor.dtype).removeprefix("torch."),
            "device": str(tensor.device), "values": flat[:MAX_VALUES].cpu().tolist(),
            "nan": bool(torch.isnan(flat).any()) if flat.is_floating_point() else False}


def run(request: dict) -> dict:
    timings = {}
    try:
        start = time.perf_counter()
        program = snippet.load(request["code"], seed=int(request.get("seed", 0)),
                               device=request.get("device", "cpu"))
        outputs = program.run_forward()
        timings["forward_s"] = time.perf_counter() - start
        if request.get("backward", True):
            start = time.perf_counter()
            program.backward()
            timings["backward_s"] = time.perf_counter() - start
    except snippet.SnippetError as err:
        return err.to_json()
    leaves = [*program.module_tensors(), *program.input_tensors()]
    grads = {name: float(t.grad.norm()) for name, t in leaves
             if isinstance(t, torch.Tensor) and t.grad is not None}
    result = {"status": "ok", "outputs": [summary(o) for o in outputs], "grad_norms": grads,
              "timings": timings}
    if any(o["nan"] for o in result["outputs"]):
        result["nan"] = True
        result["message"] = ("The output contains NaN: some operation met an invalid value "
                             "(0/0, log of a negative number, an overflow).")
    return result
