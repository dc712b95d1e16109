"""The ``graph`` job: run a snippet once, capture the autograd graph this run built, then
run backward (timed, and to report an error the lessons teach)."""
from __future__ import annotations

import time
from typing import Callable

import torch

from explorer import snippet
from explorer.capture.torch import Leaf, capture


def program_leaves(program: snippet.Program) -> list[Leaf]:
    """Named leaves: module-level parameters and tensors first, then forward's inputs."""
    leaves = [Leaf(name, "param" if t.requires_grad else "const", t)
              for name, t in program.module_tensors()]
    leaves += [Leaf(name, "input", t) for name, t in program.input_tensors()]
    return leaves


def _clock(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def torch_run(code: str, seed: int = 0, device: str = "cpu", tracer: Callable | None = None,
              backward: bool = True, input_seed: int | None = None) -> dict:
    """Load, forward (seen by ``tracer``), capture, backward: the JSON of one PyTorch run.

    Raises SnippetError for failures of the user's code up to the forward pass; a failing
    backward is reported as ``backward_error`` beside the graph, which is still worth seeing."""
    program = snippet.load(code, seed=seed, device=device, input_seed=input_seed)
    start = _clock(program.device)
    outputs = program.run_forward(tracer)
    forward_s = _clock(program.device) - start
    start = time.perf_counter()
    graph = capture(outputs, program_leaves(program))
    result = {"status": "ok", "graph": graph.to_json(),
              "timings": {"forward_s": forward_s, "capture_s": time.perf_counter() - start},
              "device": str(program.device)}
    if backward and any(o.requires_grad for o in outputs):
        start = _clock(program.device)
        try:
            program.backward()
            result["timings"]["backward_s"] = _clock(program.device) - start
        except snippet.SnippetError as err:
            result["backward_error"] = err.to_json()
    return result


def run(request: dict) -> dict:
    try:
        return torch_run(request["code"], seed=int(request.get("seed", 0)),
                         device=request.get("device", "cpu"),
                         backward=request.get("backward", True))
    except snippet.SnippetError as err:
        return err.to_json()
