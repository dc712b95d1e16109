"""One PyTorch run of a snippet: load, forward (seen by a line tracer), capture, backward.

The graph, the twin check and the executed path all read this one run, so the picture,
the badge and the gutter are of the same execution of the user's code. Where the check
needs the values as they were before ``forward`` (forward may change module state in place:
BatchNorm's running statistics, a buffer the user updates), ``keep_values`` snapshots them.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch

from explorer import dropout, snippet, values
from explorer.capture import origin
from explorer.capture.torch import capture
from explorer.executed import LineTracer
from explorer.graph import Graph


def array(t: torch.Tensor) -> np.ndarray:
    """A tensor's values as a numpy copy (bfloat16 as float32, which numpy lacks)."""
    t = t.detach().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()


@dataclass
class Snapshot:
    """Values before forward: module-level tensors by identity (a lazy module's parameters
    have none yet), forward's arguments as arrays, each module's train/eval mode by path;
    ``meta`` when some tensor holds no values."""

    tensors: dict[int, np.ndarray] = field(default_factory=dict)
    args: tuple = ()
    modes: dict[str, bool] = field(default_factory=dict)
    meta: bool = False
    alive: list[torch.Tensor] = field(default_factory=list)  # keeps the ids above valid


def snapshot(program: snippet.Program) -> Snapshot:
    shot = Snapshot(modes={p: m.training for p, m in values.modules(program.namespace)})
    try:
        for _, t in program.module_tensors():
            if not values.is_lazy(t):
                shot.tensors[id(t)] = array(t)
                shot.alive.append(t)
        shot.args = values.map_leaves(program.args, lambda v: isinstance(v, torch.Tensor), array)
    except (NotImplementedError, RuntimeError):  # meta tensors: shapes without values
        shot.meta = True
    return shot


@dataclass
class Execution:
    """What one run of the user's code left: the program after forward and backward, the
    graph it built, timings, and whether train-mode dropout drew random masks."""

    program: snippet.Program
    outputs: list[torch.Tensor]
    graph: Graph | None
    timings: dict[str, float]
    dropout: bool
    before: Snapshot | None = None
    backward_error: dict | None = None
    record: origin.Record | None = None  # where each node came from: steps, modules

    def to_json(self) -> dict:
        graph = self.graph.to_json() if self.graph else None
        result = {"status": "ok", "graph": graph,
                  "timings": self.timings, "device": str(self.program.device)}
        if self.backward_error:
            result["backward_error"] = self.backward_error
        return result


def _clock(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def execute(code: str, seed: int = 0, device: str = "cpu", tracer: Callable | None = None, *,
            backward: bool = True, input_seed: int | None = None, keep_values: bool = False,
            identity_dropout: bool = False, graph: bool = True) -> Execution:
    """Run ``code`` once: module level, ``inputs()``, ``forward`` (seen by ``tracer``), the
    graph capture, backward. Raises SnippetError for the user's errors up to the forward
    pass; a failing backward is kept as ``backward_error``: the graph is still worth seeing.

    ``identity_dropout`` makes train-mode dropout keep every unit, for the twin check."""
    with (dropout.as_identity() if identity_dropout else dropout.watch()) as seen:
        program = snippet.load(code, seed=seed, device=device, input_seed=input_seed)
        before = snapshot(program) if keep_values else None
        start = _clock(program.device)
        # The graph's nodes learn their line, module and step while forward makes them.
        if graph:
            tracer = tracer or LineTracer(snippet.SNIPPET_FILE)
        with origin.record(program.namespace, tracer) if graph else nullcontext() as record:
            outputs = program.run_forward(tracer)
        timings = {"forward_s": _clock(program.device) - start}
    start = time.perf_counter()
    drawn = capture(outputs, program.leaves(), record) if graph else None
    if graph:
        timings["capture_s"] = time.perf_counter() - start
    run = Execution(program, outputs, drawn, timings, seen.ran, before, record=record)
    if backward and any(o.requires_grad for o in outputs):
        start = _clock(program.device)
        try:
            program.backward()
            timings["backward_s"] = _clock(program.device) - start
        except snippet.SnippetError as err:
            run.backward_error = err.to_json()
    return run
