"""The PyTorch side of the twin check, as numbers: the values a twin starts from (as they
were before forward), forward's arguments, outputs and the gradient of every leaf.

Taken from the run the page draws (``from_execution``), so the badge checks that run; only a
run whose train-mode dropout drew random masks needs a second pass with dropout as the
identity, since TensorFlow cannot draw torch's masks (``run_torch``). Imports no TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer import snippet
from explorer.execution import Execution, array, execute

SECOND_PASS = ("Train-mode dropout drew random masks in the run drawn here. TensorFlow "
               "cannot reproduce torch's random generator, so the check compared a second "
               "PyTorch run of the same code and seed with dropout keeping every unit (as "
               "p=0); the graphs are of the first run.")


@dataclass
class TorchRun:
    program: snippet.Program
    values: dict[str, np.ndarray]        # module-level tensors before forward, by path
    trainable: dict[str, bool]           # path -> requires_grad
    modes: dict[str, bool]               # module path -> training
    args: tuple                          # forward's arguments, tensors as arrays
    outputs: list[np.ndarray]
    differentiable: list[bool]           # outputs that require grad
    grads: dict[str, np.ndarray | None]  # leaves that require grad: parameters, then inputs
    dropout: bool                        # a train-mode dropout ran (as the identity)
    backward_error: dict | None = None
    second_pass: bool = False            # not the drawn run: see SECOND_PASS


def from_execution(run: Execution, second_pass: bool = False) -> TorchRun:
    """The check's numbers from one run made with ``keep_values``; leaves are named after
    forward, so a lazy module's parameters (made by its first call) are there too."""
    program, before = run.program, run.before
    if before is None or before.meta:
        raise snippet.SnippetError(
            "error", "Some tensors hold no values (the meta device), so the twin has no "
            "numbers to take from this run.", error_type="DeviceError")
    named = program.module_tensors()
    leaves = [(p, t) for p, t in [*named, *program.input_tensors()]
              if t.requires_grad and t.is_leaf]
    grads = {} if run.backward_error else {
        p: (array(t.grad) if t.grad is not None else None) for p, t in leaves}
    return TorchRun(
        program=program, values={p: before.tensors[id(t)] if id(t) in before.tensors else array(t)
                                 for p, t in named},
        trainable={p: t.requires_grad for p, t in named},
        modes=before.modes,
        args=before.args, outputs=[array(o) for o in run.outputs],
        differentiable=[o.requires_grad for o in run.outputs], grads=grads,
        dropout=run.dropout, backward_error=run.backward_error, second_pass=second_pass)


def run_torch(code: str, seed: int = 0, device: str = "cpu") -> TorchRun:
    """A run of its own for the check, with dropout as the identity; raises SnippetError."""
    run = execute(code, seed=seed, device=device, keep_values=True, identity_dropout=True,
                  graph=False)
    return from_execution(run)


def for_check(run: Execution, code: str, seed: int, device: str) -> TorchRun:
    """The drawn run's numbers, or a second pass where its dropout drew random masks."""
    if not run.dropout:
        return from_execution(run)
    return from_execution(execute(code, seed=seed, device=device, keep_values=True,
                                  identity_dropout=True, graph=False), second_pass=True)
