"""Where every autograd Node came from: the user's line, the ``nn.Module`` call, the step.

``record`` wraps forward in a ``TorchFunctionMode``: after each top-level torch call returns,
every autograd Node it created (walked from the results' ``grad_fn`` down, stopping at Nodes
made earlier) is tagged with the innermost line of the snippet running it, the path of the
innermost module call it ran inside (global forward hooks keep a stack; paths come from
``values.modules`` taken before forward) and the step (the executed-line event, from
``executed.LineTracer``). The Node whose output *is* a result also gets that output's value
summary. Nodes are keyed by ``_sequence_nr()`` (unique per thread, growing), so no Node is kept
alive by the record. ``capture`` reads the tags into ``attrs``.
"""
from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

from explorer import values
from explorer.capture.torch import value_summary as preview
from explorer.executed import LineTracer
from explorer.graph import Node

STAT_LIMIT = 1 << 24  # elements: larger outputs get a preview without min/max/mean


@dataclass
class Tag:
    line: int | None
    module: str | None
    step: int | None
    value: dict | None = None


@dataclass
class Record:
    """What one forward pass left: tags by sequence number, the executed-line steps and the
    module calls (type, first call's input and output shapes, number of calls) by path."""

    tags: dict[int, Tag] = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)
    modules: dict[str, dict] = field(default_factory=dict)

    def annotate(self, node: Node, fn: Any) -> None:
        """Put ``fn``'s tag on its op node: ``attrs.line``, ``module``, ``module_type``,
        ``step``, ``value`` (each where known)."""
        tag = self.tags.get(fn._sequence_nr())
        if tag is None:
            return
        attrs = node.attrs
        if tag.line is not None:
            attrs["line"] = tag.line
        if tag.module is not None:
            attrs["module"] = tag.module
            attrs["module_type"] = self.modules[tag.module]["type"]
        if tag.step is not None:
            attrs["step"] = tag.step
        if tag.value is not None:
            attrs["value"] = tag.value


def _shapes(obj: Any) -> list[list[int]]:
    return [list(t.shape) for t in tree_leaves(obj) if isinstance(t, torch.Tensor)]


def _finite(value: float) -> float | str:
    """JSON has no NaN or infinity: spelled as strings, as the value preview does."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def value_summary(t: torch.Tensor) -> dict | None:
    """Shape, dtype, the first few values and min/max/mean of a forward output, or None
    where it holds no values (the meta device)."""
    if t.device.type == "meta":
        return None
    with torch.no_grad():
        summary = preview(t)
        values = summary["value"]
        if not summary["truncated"] and values and not t.is_complex() and all(
                isinstance(v, (int, float)) for v in values):
            # every value is in the preview already: no more torch calls (a 1,000-step loop
            # makes thousands of small outputs, and each torch call costs microseconds)
            summary.update(min=_finite(min(values)), max=_finite(max(values)),
                           mean=_finite(sum(values) / len(values)))
        elif 0 < t.numel() <= STAT_LIMIT and not t.is_complex():
            flat = t.detach().reshape(-1)
            flat = flat if flat.is_floating_point() else flat.double()
            low, high, mean = torch.stack([flat.min(), flat.max(), flat.mean()]).tolist()
            summary.update(min=_finite(low), max=_finite(high), mean=_finite(mean))
    return summary


class _Recorder(TorchFunctionMode):
    """Tags the Nodes each top-level torch call creates."""

    def __init__(self, tracer: LineTracer, modules: list[tuple[str, torch.nn.Module]],
                 record: Record) -> None:
        super().__init__()
        self.tracer = tracer
        self.by_path = dict(modules)  # values.modules names each module once
        self.paths = {id(m): p for p, m in self.by_path.items()}
        self.record = record
        self.stack: list[str] = []
        self.module_events: list[tuple[int, str | None]] = []  # (step, path pushed or None)
        self.floor = _sequence_floor()

    # -- modules -------------------------------------------------------------------------
    def path_of(self, module: torch.nn.Module) -> str:
        """A module made after the paths were taken (inside forward, by a lazy parent) is
        named under the module calling it; one no known module calls keeps its class name."""
        path = self.paths.get(id(module))
        if path is None:
            parent = self.stack[-1] if self.stack else None
            owner = self.by_path.get(parent) if parent is not None else None
            name = type(module).__name__
            path = name if parent is None else f"{parent}.{name}"
            if owner is not None:
                path = next((f"{parent}.{n}" for n, m in owner.named_children() if m is module),
                            path)
            self.paths[id(module)] = path
            self.by_path.setdefault(path, module)
        return path

    def enter(self, module: torch.nn.Module, args: tuple) -> None:
        path = self.path_of(module)
        self.stack.append(path)
        self.module_events.append((self.step(), path))
        info = self.record.modules.get(path)
        if info is None:  # shapes of the first call only: a loop calls a cell 1,000 times
            info = self.record.modules[path] = {"type": type(module).__name__,
                                                "in": _shapes(args), "calls": 0}
        info["calls"] += 1

    def leave(self, module: torch.nn.Module, output: Any) -> None:
        if not self.stack:
            return
        path = self.stack.pop()
        self.module_events.append((self.step(), None))
        info = self.record.modules[path]
        if "out" not in info:
            info["out"] = _shapes(output)

    def step(self) -> int:
        return len(self.tracer.steps) - 1

    # -- ops -----------------------------------------------------------------------------
    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        if isinstance(result, torch.Tensor):
            if result.grad_fn is not None:
                self.tag(result)
        elif isinstance(result, (tuple, list)):  # torch.Size too: a tuple of ints
            for item in result:
                if isinstance(item, torch.Tensor) and item.grad_fn is not None:
                    self.tag(item)
        return result

    def tag(self, out: torch.Tensor) -> None:
        root = out.grad_fn
        seq = root._sequence_nr()
        tags = self.record.tags
        if seq in tags or seq <= self.floor:
            return
        frame = _user_frame(self.tracer.filename)
        line = frame.f_lineno if frame is not None else None
        step = self.tracer.current.get(id(frame)) if frame is not None else None
        module = self.stack[-1] if self.stack else None
        tags[seq] = Tag(line, module, step, value_summary(out))
        stack = [fn for fn, _ in root.next_functions if fn is not None]
        while stack:
            fn = stack.pop()
            seq = fn._sequence_nr()
            if seq in tags or seq <= self.floor or _is_accumulate(fn):
                continue
            tags[seq] = Tag(line, module, step)
            stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)

    def finish(self) -> None:
        """The steps with the module running at each (module events replayed in order)."""
        events = iter(self.module_events)
        pending = next(events, None)
        stack: list[str] = []
        for k, line in enumerate(self.tracer.steps):
            while pending is not None and pending[0] < k:
                stack.append(pending[1]) if pending[1] is not None else stack.pop()
                pending = next(events, None)
            self.record.steps.append({"line": line, "module": stack[-1] if stack else None})


def _is_accumulate(fn: Any) -> bool:
    return not fn.next_functions and type(fn).__name__ == "AccumulateGrad"


def _user_frame(filename: str) -> Any:
    """The innermost frame running the snippet's code, or None."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename != filename:
        frame = frame.f_back
    return frame


def _sequence_floor() -> int:
    """The sequence number of a Node made now: every Node forward makes has a larger one."""
    probe = torch.zeros(1, requires_grad=True)
    return probe.view(1).grad_fn._sequence_nr()


@contextlib.contextmanager
def record(namespace: dict, tracer: LineTracer) -> Iterator[Record]:
    """Tag the Nodes made inside the block (forward, seen by ``tracer``)."""
    result = Record()
    mode = _Recorder(tracer, values.modules(namespace), result)
    pre = torch.nn.modules.module.register_module_forward_pre_hook(
        lambda module, args: mode.enter(module, args))
    post = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, output: mode.leave(module, output), always_call=True)
    try:
        with mode:
            yield result
    finally:
        pre.remove()
        post.remove()
        mode.finish()
