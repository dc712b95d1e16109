"""The two runs the twin check compares: the snippet in PyTorch, then its TF twin traced by
tf.function and fed the torch run's parameter values and inputs, so both runs are of the
same numbers. The twin always runs on the CPU. Imported lazily (it imports TensorFlow).
"""
from __future__ import annotations

import builtins
import contextlib
import linecache
import os
import re
import traceback
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer import values
from explorer.twin import paths as twin_paths
from explorer.twin.torch_side import TorchRun, run_torch  # noqa: F401  (the check's torch side)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF reads it once, at import
import tensorflow as tf  # noqa: E402

from explorer.twin import lib as twin_lib  # noqa: E402  (imports TensorFlow too)

TWIN_FILE = "<twin>"
CPU = "/CPU:0"


class TwinError(Exception):
    """TensorFlow refused the twin code: the line (in the TF code), its words, the type."""

    def __init__(self, line: int | None, message: str, error_type: str) -> None:
        super().__init__(message)
        self.line, self.message, self.error_type = line, message, error_type


@dataclass
class TfRun:
    namespace: dict
    inputs: tuple                        # forward's arguments as TF tensors
    input_names: list[str]               # the argument placeholders, in order
    variables: list[tuple[Any, str]]     # every tf.Variable set from the torch run, its path
    targets: dict[str, Any]              # path -> what the gradient is taken with respect to
    missing: list[str] = field(default_factory=list)


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
                module.__dict__.setdefault("_explorer_path", path)  # its ops' attrs.module
    with tf.device(CPU):
        run.inputs = values.map_leaves(torch_run.args, lambda v: isinstance(v, np.ndarray),
                                       tf.constant)
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


@contextlib.contextmanager
def as_traced() -> Any:
    """Grappler off while the check runs the twin: the graph runs as traced (and drawn). Its
    rewrite of a 1,000-step loop's forward and backward (~35,000 ops) cost more than running
    them: the tape 40 -> 23 s (bench/big_graph.py's RNN, one process, load 6.5; the same
    gradients to the last digit); the twin tests' verdicts are unchanged."""
    before = tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": before})


def run_tape(function: Any, run: TfRun, differentiable: list[bool],
             ) -> tuple[list[np.ndarray], dict[str, np.ndarray | None]]:
    """Outputs, and gradients of their sum (as torch's backward) w.r.t. every target."""
    targets = list(run.targets.values())
    try:
        with tf.device(CPU), as_traced():
            with tf.GradientTape() as tape:
                for target in targets:
                    if not isinstance(target, tf.Variable):
                        tape.watch(target)
                outputs = outputs_of(function(*run.inputs))
                losses = [tf.reduce_sum(o) for o, d in zip(outputs, differentiable)
                          if d and o.dtype.is_floating]
            grads = tape.gradient(losses, targets) if losses and targets \
                else [None] * len(targets)
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
