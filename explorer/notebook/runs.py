"""One run of a live function or module in the user's own kernel: forward seen by the line
tracer, the autograd graph captured, backward, and the numbers the twin check takes.

The snippet path (``execution.execute``) loads text in a fresh namespace; here the objects
already exist, so the same pieces (``snippet.Program``, ``execution.snapshot``, ``capture``,
``torch_side.from_execution``) run on them instead. The user's tensors keep their ``.grad``:
the run's gradients are read, then each leaf gets back what it held before.
"""
from __future__ import annotations

import contextlib
import inspect
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch

from explorer import dropout, execution, snippet, values
from explorer.capture import origin
from explorer.capture.torch import capture
from explorer.executed import LineTracer
from explorer.twin import live, torch_side

NOTEBOOK_NAMES = ("In", "Out", "exit", "quit", "get_ipython")


@dataclass
class LiveRun:
    source: live.Source
    execution: execution.Execution
    trace: dict
    torch_run: torch_side.TorchRun | None = None  # the check's numbers (runs with backward)
    problem: str | None = None  # why the code could not be written out for the twin


def arguments(target: Any, args: tuple, kwargs: dict) -> tuple[tuple, list[str]]:
    """Keyword arguments bound to their positions (forward is called positionally), and
    the names of the arguments, as the snippet contract names forward's."""
    function = target.forward if isinstance(target, torch.nn.Module) else target
    if kwargs:
        try:
            bound = inspect.signature(function).bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{getattr(function, '__qualname__', function)}: {err}") from None
        if bound.kwargs:
            raise TypeError(f"keyword-only arguments {sorted(bound.kwargs)} cannot be passed; "
                            "pass every argument by position")
        args = bound.args
    try:
        params = [p.name for p in inspect.signature(function).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return tuple(args), [params[i] if i < len(params) else f"arg{i}" for i in range(len(args))]


def module_name(target: torch.nn.Module, scope: dict | None) -> str:
    """The user's own name for a module passed to show() (``net``), else ``model``."""
    for name, value in (scope or {}).items():
        if value is target and name.isidentifier() and not name.startswith("_"):
            return name
    return "model"


def leaf_names(scope: dict) -> tuple[dict, list[str], tuple]:
    """The names a notebook gives its tensors, split as a snippet would: layers and what
    holds a tensor that requires grad are module level; data (a tensor, or a list, dict or
    tree of tensors, none needing grad) is named as forward's inputs are. Results of ops
    (non-leaves) and the notebook's own history (``Out``) are left out."""
    level, names, data = {}, [], []
    for name, value in values.user_names(scope):
        if name in NOTEBOOK_NAMES or (isinstance(value, torch.Tensor)
                                      and value.grad_fn is not None):
            continue
        tensors = [] if isinstance(value, torch.nn.Module) else [
            t for _, t in values.walk(name, value)]
        if tensors and not any(t.requires_grad for t in tensors):
            names.append(name)
            data.append(value)
        else:
            level[name] = value
    return level, names, tuple(data)


@contextlib.contextmanager
def own_grads(tensors: list[torch.Tensor]) -> Iterator[None]:
    """The run's backward starts from no gradient and leaves the user's ``.grad`` as it was."""
    kept = [(t, t.grad) for t in tensors if t.requires_grad and t.is_leaf]
    for t, _ in kept:
        t.grad = None
    try:
        yield
    finally:
        for t, grad in kept:
            t.grad = grad


def _restore(before: execution.Snapshot, program: snippet.Program) -> None:
    """Module tensors back to their values before a pass (BatchNorm's statistics)."""
    with torch.no_grad():
        for _, t in program.module_tensors():
            if id(t) in before.tensors and not values.is_lazy(t):
                t.copy_(torch.as_tensor(before.tensors[id(t)], dtype=t.dtype))


def _forward(program: snippet.Program, tracer: LineTracer | None, identity: bool,
             ) -> tuple[list[torch.Tensor], bool, float, origin.Record | None]:
    """Forward on the live objects; with ``tracer``, seen by it, and each Node tagged with
    its line (of the cell), module and step (``origin.record``), as a snippet's run is."""
    previous = sys.gettrace()
    start = time.perf_counter()
    with (dropout.as_identity() if identity else dropout.watch()) as seen, \
            origin.record(program.namespace, tracer) if tracer else nullcontext() as record:
        try:
            if tracer is not None:
                sys.settrace(tracer)
            result = program.forward(*program.args)
        finally:
            if tracer is not None:
                sys.settrace(previous)
    program.outputs = snippet.output_tensors(result, program.forward)  # what backward takes
    return program.outputs, seen.ran, time.perf_counter() - start, record


def run(target: Any, args: tuple, kwargs: dict, scope: dict | None = None, *,
        backward: bool = True, twin: bool = True) -> LiveRun:
    """Call ``target(*args, **kwargs)`` once, on the live objects, and keep what the pages
    show: the graph, the lines that ran, and (``backward``) the gradients and the numbers
    the twin is checked on. ``twin``: check that the code written out for the twin
    (``live.write_out``) builds the live layers' tensors."""
    args, names = arguments(target, args, kwargs)
    name = module_name(target, scope) if isinstance(target, torch.nn.Module) else "model"
    problem = None
    try:
        source = live.write_out(target, names, name, check=twin)
    except live.LiveError as err:  # the torch side stands; the names come from the scope
        problem = str(err)
        source = live.Source("", "", live.traced_file(target), leaf_names(scope or {})[0])
    namespace = dict(source.namespace)
    if isinstance(target, torch.nn.Module):
        namespace[name] = target
    device = next((t.device for _, t in values.input_tensors(names, args)), torch.device("cpu"))
    program = snippet.Program(text=source.code, namespace=namespace, forward=target, args=args,
                              arg_names=names, device=device, seed=0)
    tracer = LineTracer(source.filename)
    before = execution.snapshot(program) if backward else None
    outputs, ran, forward_s, record = _forward(program, tracer, identity=False)
    drawn = capture(outputs, program.leaves(), record)
    done = execution.Execution(program, outputs, drawn, {"forward_s": forward_s}, ran, before,
                               record=record)
    result = LiveRun(source, done, tracer.to_json(), problem=problem)
    if not backward:
        return result
    if not any(o.requires_grad for o in outputs):  # outputs only: nothing to differentiate
        result.torch_run = torch_side.from_execution(done)
        return result
    leaves = [t for _, t in [*program.module_tensors(), *program.input_tensors()]]
    with own_grads(leaves):
        try:
            program.backward()
        except snippet.SnippetError as err:
            done.backward_error = err.to_json()
        result.torch_run = torch_side.from_execution(done)
        if ran:  # random masks: the check compares a pass with dropout as the identity
            after = execution.snapshot(program)
            _restore(before, program)
            for t in leaves:
                t.grad = None
            second = execution.Execution(program, _forward(program, None, identity=True)[0],
                                         None, {}, True, before)
            try:
                program.backward()
            except snippet.SnippetError as err:
                second.backward_error = err.to_json()
            result.torch_run = torch_side.from_execution(second, second_pass=True)
            _restore(after, program)
    return result
