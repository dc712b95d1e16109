"""Load a snippet, check its contract, seed and run it; every failure names the user's line.

The contract (DESIGN.md): module level builds layers once, ``inputs()`` returns the arguments
of ``forward`` (a tensor or a tuple), ``forward(*args)`` may use any Python control flow.
This module is imported by the worker only: it executes user code.
"""
from __future__ import annotations

import builtins
import inspect
import linecache
import random
import re
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from explorer import values

SNIPPET_FILE = "<snippet>"
MAX_MESSAGE = 2000

# What a learner needs to hear next to torch's own words; first match wins.
HINTS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), h) for p, h in [
    (r"shapes cannot be multiplied|must match the size of tensor|is invalid for input of size"
     r"|size mismatch|Sizes of tensors must match|not broadcastable|cannot be broadcast",
     "Shape mismatch: two tensors met in an operation whose shapes do not fit. Print the "
     "shapes (x.shape) just before that line; for a matrix product (m, k) @ (k, n) the inner "
     "sizes must agree, and broadcasting needs each trailing dimension equal or 1."),
    (r"Expected all tensors to be on the same device|found at least two devices"
     r"|is not on the expected device",
     "Device mismatch: the operands live on different devices (a GPU and the CPU, say). "
     "Move them to one device with .to(device) before combining them: the model's "
     "parameters and the data must be on the same one."),
    (r"does not require grad and does not have a grad_fn",
     "No grad_fn: backward() was asked of a tensor that autograd never recorded, because no "
     "tensor it came from requires grad (or it was computed under torch.no_grad() or after "
     ".detach()). Only results of operations on tensors with requires_grad=True have a grad_fn."),
    (r"leaf Variable that requires grad is being used in an in-place operation",
     "In-place on a leaf: a tensor that requires grad cannot be changed in place, since "
     "autograd needs its value. Use an out-of-place op (x = x + 1) or wrap it in torch.no_grad()."),
    (r"modified by an inplace operation",
     "In-place after save: an in-place op overwrote a tensor that autograd had saved for the "
     "backward pass. Use the out-of-place version of that op (relu instead of relu_)."),
]]


class SnippetError(Exception):
    """A failure of the user's code, told in the user's terms: status, message, line."""

    def __init__(self, status: str, message: str, line: int | None = None,
                 source_line: str | None = None, hint: str | None = None,
                 error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.line = line
        self.source_line = source_line
        self.hint = hint
        self.error_type = error_type

    def to_json(self) -> dict:
        return {"status": self.status, "message": self.message, "line": self.line,
                "source_line": self.source_line, "hint": self.hint,
                "error_type": self.error_type}


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " ..."


def hint_for(message: str) -> str | None:
    return next((hint for pattern, hint in HINTS if pattern.search(message)), None)


def source_line(text_lines: list[str], line: int | None) -> str | None:
    if line is None or not 1 <= line <= len(text_lines):
        return None
    return text_lines[line - 1].rstrip("\n")


def compile_snippet(text: str) -> types.CodeType:
    """Compile snippet text, registering it with linecache so tracebacks and
    ``inspect.getsource`` (AutoGraph reads the source of ``forward``) can see it."""
    lines = text.splitlines(keepends=True)
    linecache.cache[SNIPPET_FILE] = (len(text), None, lines, SNIPPET_FILE)
    try:
        return compile(text, SNIPPET_FILE, "exec", dont_inherit=True)
    except SyntaxError as err:  # IndentationError and TabError are SyntaxErrors too
        line = err.lineno
        raise SnippetError("syntax", _clip(f"line {line}: {type(err).__name__}: {err.msg}"),
                           line=line, source_line=source_line(lines, line),
                           error_type=type(err).__name__) from None
    except ValueError as err:  # "source code string cannot contain null bytes"
        raise SnippetError("syntax", f"SyntaxError: {err}", error_type="SyntaxError") from None


def user_line(exc: BaseException) -> int | None:
    """The line in the snippet nearest to where ``exc`` was raised."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == SNIPPET_FILE:
            line = lineno
    return line


def as_user_error(exc: BaseException, where: str = "") -> SnippetError:
    """Turn an exception raised by user code into a SnippetError naming the user's line."""
    if isinstance(exc, SnippetError):
        return exc
    line = user_line(exc)
    detail = str(exc).strip() or type(exc).__name__
    prefix = f"line {line}: " if line else (f"{where}: " if where else "")
    lines = linecache.getlines(SNIPPET_FILE)
    if isinstance(exc, RecursionError):
        detail += " (recursion deeper than Python allows: is there a base case?)"
    return SnippetError("error", _clip(f"{prefix}{type(exc).__name__}: {detail}"), line=line,
                        source_line=source_line(lines, line), hint=hint_for(detail),
                        error_type=type(exc).__name__)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % 2**32)


def resolve_device(name: str) -> torch.device:
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SnippetError("error", "A GPU run was asked for, but this server has no CUDA "
                           "device. Choose the CPU.", error_type="DeviceError")
    try:
        return torch.device(name)
    except RuntimeError as err:
        raise SnippetError("error", f"Unknown device {name!r}: {err}",
                           error_type="DeviceError") from None


# -- the program -------------------------------------------------------------------------

@dataclass
class Program:
    """A snippet after its module level and ``inputs()`` ran: ready to call ``forward``."""

    text: str
    namespace: dict[str, Any]
    forward: Callable[..., Any]
    args: tuple
    arg_names: list[str]
    device: torch.device
    seed: int
    outputs: list[torch.Tensor] = field(default_factory=list)

    def module_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """Every tensor a module-level name reaches, once, by path (``values``)."""
        return values.module_tensors(self.namespace)

    def input_tensors(self) -> list[tuple[str, torch.Tensor]]:
        return values.input_tensors(self.arg_names, self.args)

    def leaves(self) -> list[values.Leaf]:
        """The named leaves: module level first, then inputs. Read them after ``forward``
        has run: a lazy module (``nn.LazyLinear``) makes its parameters in its first call."""
        return values.leaves(self.namespace, self.arg_names, self.args)

    def modules(self) -> Iterator[tuple[str, torch.nn.Module]]:
        for name, value in self.namespace.items():
            if isinstance(value, torch.nn.Module):
                yield name, value

    def run_forward(self, tracer: Callable | None = None) -> list[torch.Tensor]:
        """Call ``forward(*args)``; ``tracer`` (a ``sys.settrace`` function) sees it run."""
        previous = sys.gettrace()
        try:
            if tracer is not None:
                sys.settrace(tracer)
            result = self.forward(*self.args)
        except Exception as exc:  # the user's code may raise anything
            raise as_user_error(exc, "forward") from None
        finally:
            if tracer is not None:
                sys.settrace(previous)
        self.outputs = output_tensors(result, self.forward)
        return self.outputs

    def backward(self) -> None:
        """Gradients of the outputs (a non-scalar output counts as ``out.sum()``)."""
        grads = [o.sum() for o in self.outputs if o.requires_grad]
        if not grads:
            raise SnippetError(
                "error", "RuntimeError: the output of forward does not require grad and does "
                "not have a grad_fn, so there is nothing to differentiate.",
                hint=hint_for("does not require grad and does not have a grad_fn"),
                error_type="RuntimeError")
        try:
            torch.stack(grads).sum().backward() if len(grads) > 1 else grads[0].backward()
        except Exception as exc:
            raise as_user_error(exc, "backward") from None


def contract_error(message: str, fn: Callable | None = None) -> SnippetError:
    """A break of the snippet contract, at the line of the user's function ``fn`` (its
    ``def``) when it is one of theirs."""
    code = getattr(fn, "__code__", None)
    line = code.co_firstlineno if code is not None and code.co_filename == SNIPPET_FILE \
        else None
    return SnippetError("error", f"line {line}: {message}" if line else message, line=line,
                        source_line=source_line(linecache.getlines(SNIPPET_FILE), line),
                        error_type="ContractError")


def output_tensors(result: Any, forward: Callable | None = None) -> list[torch.Tensor]:
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)) and result and all(
            isinstance(r, torch.Tensor) for r in result):
        return list(result)
    raise contract_error(f"forward returned {type(result).__name__}; it must return a tensor "
                         "or a tuple of tensors, so that there is a graph to draw.", forward)


def _contract_function(namespace: dict, name: str, example: str) -> Callable:
    fn = namespace.get(name)
    if fn is None:
        raise SnippetError("error", f"Your code defines no {name}() function. The contract "
                           f"asks for one, for example:\n\n{example}", error_type="ContractError")
    if not callable(fn):
        raise SnippetError("error", f"{name} must be a function; it is a "
                           f"{type(fn).__name__}.", error_type="ContractError")
    return fn


def load(text: str, seed: int = 0, device: str = "cpu", input_seed: int | None = None) -> Program:
    """Seed, run the module level and ``inputs()``, move everything to ``device``.

    ``input_seed``, when given, reseeds just before ``inputs()``: the same weights (``seed``)
    meet other data, which is how the page compares the graphs of different inputs."""
    code = compile_snippet(text)
    target = resolve_device(device)
    seed_everything(seed)
    namespace: dict[str, Any] = {"__name__": "__snippet__", "__file__": SNIPPET_FILE,
                                 "__builtins__": builtins}
    try:
        exec(code, namespace)
    except Exception as exc:
        raise as_user_error(exc, "module level") from None
    forward = _contract_function(namespace, "forward", "def forward(x):\n    return (x * 2).sum()")
    make_inputs = _contract_function(namespace, "inputs",
                                     "def inputs():\n    return (torch.randn(1, 10),)")
    if input_seed is not None:
        seed_everything(input_seed)
    try:
        args = make_inputs()
    except Exception as exc:
        raise as_user_error(exc, "inputs()") from None
    args = args if isinstance(args, tuple) else (args,)
    arg_names = _argument_names(forward, len(args))
    if target.type != "cpu":
        for name, value in list(namespace.items()):
            if isinstance(value, torch.nn.Module):
                value.to(target)
            elif isinstance(value, torch.Tensor) and not name.startswith("_"):
                namespace[name] = values.to_device(value, target)
        args = values.to_device(args, target)
    return Program(text=text, namespace=namespace, forward=forward, args=args,
                   arg_names=arg_names, device=target, seed=seed)


def _argument_names(forward: Callable, count: int) -> list[str]:
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(count):
        if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY,
                                                  params[i].POSITIONAL_OR_KEYWORD):
            names.append(params[i].name)
        elif params and params[-1].kind == params[-1].VAR_POSITIONAL:
            names.append(f"{params[-1].name}[{i - len(params) + 1}]")
        else:
            names.append(f"arg{i}")
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in params)
    if (count > len(positional) and not variadic) or count < len(required):
        raise contract_error(f"inputs() returned {count} argument(s) but forward takes "
                             f"{len(required)}. Return a tuple with one item per argument of "
                             "forward.", forward)
    return names
