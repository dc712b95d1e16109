"""The two runs the twin check compares: the snippet in PyTorch, then its TF twin traced by
tf.function and fed the torch run's parameter values and inputs, so both runs are of the
same numbers. The twin always runs on the CPU. Imported lazily (it imports TensorFlow).
"""
from __future__ import annotations

import builtins
import contextlib
import copy
import linecache
import os
import re
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import torch

from explorer import snippet
from explorer.twin import paths as twin_paths

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF reads it once, at import
import tensorflow as tf  # noqa: E402

from explorer.twin import lib as twin_lib  # noqa: E402  (imports TensorFlow too)

TWIN_FILE = "<twin>"
SNIPPET_MODULE = "__snippet__"  # the __name__ snippet.load runs user code under
CPU = "/CPU:0"


class TwinError(Exception):
    """TensorFlow refused the twin code: the line (in the TF code), its words, the type."""

    def __init__(self, line: int | None, message: str, error_type: str) -> None:
        super().__init__(message)
        self.line, self.message, self.error_type = line, message, error_type


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


@dataclass
class TfRun:
    namespace: dict
    inputs: tuple                        # forward's arguments as TF tensors
    input_names: list[str]               # the argument placeholders, in order
    variables: list[tuple[Any, str]]     # every tf.Variable set from the torch run, its path
    targets: dict[str, Any]              # path -> what the gradient is taken with respect to
    missing: list[str] = field(default_factory=list)


def array(t: torch.Tensor) -> np.ndarray:
    t = t.detach().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()


def _convert(obj: Any, leaf: type, make: Any) -> Any:
    """A copy of forward's arguments with every ``leaf`` replaced by ``make(leaf)``: through
    lists, tuples, dicts and objects of classes the snippet defined (a tree of nodes)."""
    if isinstance(obj, leaf):
        return make(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(v, leaf, make) for v in obj)
    if isinstance(obj, dict):
        return {k: _convert(v, leaf, make) for k, v in obj.items()}
    if type(obj).__module__ == SNIPPET_MODULE and hasattr(obj, "__dict__"):
        clone = copy.copy(obj)
        for key, value in vars(obj).items():
            setattr(clone, key, _convert(value, leaf, make))
        return clone
    return obj


@contextlib.contextmanager
def _dropout_as_identity() -> Iterator[dict]:
    """Train-mode dropout keeps every unit, and says it ran: its masks come from torch's
    random generator, which TensorFlow's cannot reproduce."""
    functional, record = torch.nn.functional, {"ran": False}
    original = functional.dropout

    def dropout(input: torch.Tensor, p: float = 0.5, training: bool = True,
                inplace: bool = False) -> torch.Tensor:
        record["ran"] = record["ran"] or (training and p > 0)
        return input

    functional.dropout = dropout
    try:
        yield record
    finally:
        functional.dropout = original


def run_torch(code: str, seed: int = 0, device: str = "cpu") -> TorchRun:
    """Load, snapshot, forward, backward; raises SnippetError for the user's errors."""
    with _dropout_as_identity() as dropout:
        program = snippet.load(code, seed=seed, device=device)
        named = snippet.module_tensors(program.namespace)
        modes = {f"{name}.{sub}".rstrip("."): m.training for name, module in program.modules()
                 for sub, m in module.named_modules()}
        try:
            values = {p: array(t) for p, t in named}
            args = _convert(program.args, torch.Tensor, array)  # a copy: forward may change them
        except (NotImplementedError, RuntimeError):  # meta tensors: shapes without values
            program.run_forward()  # the user's own error, if forward has one
            raise snippet.SnippetError(
                "error", "Some tensors hold no values (the meta device), so the twin has no "
                "numbers to take from this run.", error_type="DeviceError") from None
        outputs = program.run_forward()
        backward_error = None
        if any(o.requires_grad for o in outputs):
            try:
                program.backward()
            except snippet.SnippetError as err:
                backward_error = err.to_json()
    leaves = [(p, t) for p, t in [*named, *program.input_tensors()]
              if t.requires_grad and t.is_leaf]
    grads = {} if backward_error else {
        p: (array(t.grad) if t.grad is not None else None) for p, t in leaves}
    return TorchRun(program=program, values=values,
                    trainable={p: t.requires_grad for p, t in named}, modes=modes, args=args, outputs=[array(o) for o in outputs],
                    differentiable=[o.requires_grad for o in outputs], grads=grads,
                    dropout=dropout["ran"], backward_error=backward_error)


# -- the TensorFlow side -------------------------------------------------------------------

def twin_error(exc: BaseException) -> TwinError:
    """TensorFlow's complaint, with the line of the TF code it is about: AutoGraph's own
    mapping of its generated code back to ours, else the traceback, else the message."""
    meta = getattr(exc, "ag_error_metadata", None)
    message = meta.cause_message if meta is not None else str(exc)
    line = None
    if meta is not None:
        line = next((f.lineno for f in meta.translated_stack if f.filename == TWIN_FILE), None)
    if line is None:
        frames = [n for f, n in traceback.walk_tb(exc.__traceback__)
                  if f.f_code.co_filename == TWIN_FILE]
        found = re.findall(rf'File "{TWIN_FILE}", line (\d+)', str(exc))
        line = frames[-1] if frames else (int(found[-1]) if found else None)
    if isinstance(exc, SyntaxError):
        line, message = exc.lineno, f"{exc.msg}"
    return TwinError(line, message.strip(), type(exc).__name__)


def load_tf(text: str, torch_run: TorchRun, seed: int = 0) -> TfRun:
    """Run the TF code's module level, then give it the torch run's values and modes."""
    linecache.cache[TWIN_FILE] = (len(text), None, text.splitlines(keepends=True), TWIN_FILE)
    namespace = {"__name__": "__twin__", "__file__": TWIN_FILE, "__builtins__": builtins,
                 "tf": tf, "tt": twin_lib}
    tf.random.set_seed(seed)
    try:
        with tf.device(CPU):
            exec(compile(text, TWIN_FILE, "exec", dont_inherit=True), namespace)
    except Exception as exc:  # the TF code may raise anything
        raise twin_error(exc) from None
    if not callable(namespace.get("forward")):
        raise TwinError(None, "the TF code defines no forward() function", "ContractError")
    run = TfRun(namespace=namespace, inputs=(), input_names=[], variables=[], targets={})
    for path, value in torch_run.values.items():
        _set_value(run, path, value, torch_run.trainable[path])
    for path, training in torch_run.modes.items():
        with contextlib.suppress(twin_paths.PathError):
            module = twin_paths.get(namespace, path)
            if isinstance(module, twin_lib.Module):
                module.training = training
    with tf.device(CPU):
        run.inputs = _convert(torch_run.args, np.ndarray, tf.constant)
    names = torch_run.program.arg_names
    for name, value in zip(names, run.inputs):
        for path, tensor in twin_paths.flatten(name, value, tf.is_tensor):
            run.input_names.append(path)
            if path in torch_run.grads:
                run.targets[path] = tensor
    return run


def _set_value(run: TfRun, path: str, value: np.ndarray, trainable: bool) -> None:
    """Assign a variable in place (the twin's modules keep holding it), else bind a new
    variable or constant at ``path``."""
    try:
        current = twin_paths.get(run.namespace, path)
        if isinstance(current, tf.Variable) and tuple(current.shape) == value.shape \
                and current.dtype == tf.as_dtype(value.dtype):
            current.assign(value)
        else:
            with tf.device(CPU):
                current = tf.Variable(value) if trainable else tf.constant(value)
            twin_paths.put(run.namespace, path, current)
    except twin_paths.PathError:
        run.missing.append(path)
        return
    if isinstance(current, tf.Variable):
        run.variables.append((current, path))
    if trainable:
        run.targets[path] = current


def trace(run: TfRun, identity_dropout: bool = False) -> tuple[Any, Any]:
    """``tf.function(forward)`` (AutoGraph on) and its concrete function for these inputs."""
    function = tf.function(run.namespace["forward"])
    dropout = twin_lib.identity_dropout() if identity_dropout else contextlib.nullcontext()
    try:
        with tf.device(CPU), dropout:
            return function, function.get_concrete_function(*run.inputs)
    except Exception as exc:
        raise twin_error(exc) from None


def outputs_of(result: Any) -> list[Any]:
    if tf.is_tensor(result):
        return [result]
    if isinstance(result, (tuple, list)) and result and all(tf.is_tensor(r) for r in result):
        return list(result)
    raise TwinError(None, f"forward returned {type(result).__name__}; the twin must return a "
                          "tensor or a tuple of tensors", "ContractError")


def run_tape(function: Any, run: TfRun, differentiable: list[bool],
             ) -> tuple[list[np.ndarray], dict[str, np.ndarray | None]]:
    """Outputs, and gradients of their sum (as torch's backward) w.r.t. every target."""
    targets = list(run.targets.values())
    try:
        with tf.device(CPU), tf.GradientTape() as tape:
            for target in targets:
                if not isinstance(target, tf.Variable):
                    tape.watch(target)
            outputs = outputs_of(function(*run.inputs))
            losses = [tf.reduce_sum(o) for o, d in zip(outputs, differentiable)
                      if d and o.dtype.is_floating]
        grads = tape.gradient(losses, targets) if losses and targets else [None] * len(targets)
    except TwinError:
        raise
    except Exception as exc:
        raise twin_error(exc) from None
    arrays = {path: (None if g is None else tf.convert_to_tensor(g).numpy())
              for path, g in zip(run.targets, grads)}
    return [o.numpy() for o in outputs], arrays


def autograph_code(namespace: dict) -> str:
    """AutoGraph's rewrite of each function (and module ``forward``) the TF code defines."""
    functions = [v for k, v in namespace.items() if k != "inputs" and isinstance(
        v, types.FunctionType) and v.__code__.co_filename == TWIN_FILE]
    functions += [v.forward for v in namespace.values() if isinstance(v, type)
                  and isinstance(getattr(v, "forward", None), types.FunctionType)
                  and v.forward.__code__.co_filename == TWIN_FILE]
    parts = []
    for fn in sorted(functions, key=lambda f: f.__code__.co_firstlineno):
        with contextlib.suppress(Exception):  # AutoGraph declines some (lambdas): skip them
            parts.append(tf.autograph.to_code(fn).strip())
    return "\n\n\n".join(parts) + "\n"
