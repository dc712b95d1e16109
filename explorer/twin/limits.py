"""What the static twin cannot express, and why: the lesson told when a snippet has no twin.

Two sources: the translation finds a construct outside the table (``NoTwin`` raised with a
reason key), or TensorFlow refuses while tracing (``classify`` reads its error). Both name the
construct and the user's line, and explain what a static graph would need.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# reason -> why a static graph (tf.function) cannot express it.
REASONS: dict[str, str] = {
    "autograd_function": (
        "A custom torch.autograd.Function pairs a forward with a backward that is arbitrary "
        "Python, run by torch's autograd engine while it walks the graph backwards. A static "
        "graph derives gradients from the registered gradient of each op it contains, so a "
        "hand-written backward has no op to live in; TensorFlow's nearest tool, "
        "tf.custom_gradient, needs that backward rewritten in TF ops, which the twin does not "
        "attempt."),
    "recursion": (
        "A tf.function graph is built once, before any value is known, so it traces both arms "
        "of a tensor-dependent if. A function that calls itself inside such an arm is traced "
        "again inside the new arm, and again, without end: the graph would have to be "
        "infinite. PyTorch records only the calls that really happened, so its graph is as deep "
        "as this input needed. A static graph needs a loop (tf.while_loop) instead."),
    "outside_table": (
        "The twin is built by rewriting each torch call onto a table of TensorFlow "
        "equivalents, and this one is not in the table. Write the TensorFlow version by hand "
        "(edit the TF code) or use an operation the table covers."),
    "no_grad": (
        "Inside forward, torch.no_grad() switches autograd's recording off for a block, so the "
        "dynamic graph simply has no nodes for it. A static graph records nothing at run time: "
        "gradients are derived from the whole graph afterwards, so each tensor the block makes "
        "would need an explicit tf.stop_gradient."),
    "autograd_grad": (
        "Gradients inside forward (.backward(), .grad, torch.autograd.grad) ask autograd about "
        "the graph recorded so far. A static graph is differentiated from outside, after "
        "tracing, with tf.GradientTape; the twin does not nest tapes inside forward."),
    "grad_fn": (
        "grad_fn is the autograd Node that made a tensor, a record that exists only because "
        "PyTorch builds its graph while running. A traced TensorFlow tensor has an op "
        "(tensor.op) instead, and no backward record: TensorFlow derives the gradient later."),
    "tensor_method": (
        "This tensor method is not in the twin's table, so the translated code calls it on a "
        "TensorFlow tensor, which has no such method. Edit the TF code to use the TensorFlow "
        "function that does the same."),
    "unknown_receiver": (
        "The twin rewrites a method only on what it knows is a tensor (forward's parameters, "
        "results of torch calls, tensor methods and layers, and names bound from them), and "
        "it could not tell whether this receiver is one. Rewriting an object's method as a "
        "tensor op could silently change what the code does, so it does not guess: edit the "
        "TF code, or bind the value from a torch call the twin can see."),
    "loop_exit": (
        "AutoGraph unrolls a Python for loop (over a list, a ModuleList or a range) while "
        "tracing, so a break or return that depends on a tensor would need the number of "
        "steps before the values exist. The twin rewrites such an exit into a flag that skips "
        "the remaining steps (an If per step), but not in this shape; a tf.while_loop over an "
        "index, with the exit in its condition, is the static form."),
    "item_assignment": (
        "Writing into part of a tensor (x[i] = v) changes memory in place. Tensors in a "
        "TensorFlow graph are immutable values: every op makes a new tensor, so the static "
        "version builds a new one (tf.tensor_scatter_nd_update, tf.where) instead."),
    "python_bool": (
        "Here Python needs a True/False from a tensor in a place AutoGraph does not rewrite "
        "into a graph op (a comprehension, a lambda, a call into code it cannot see). While "
        "tracing, a tensor has no value yet, so there is nothing to decide with; only if/while "
        "statements become If/While ops."),
    "format": (
        "Formatting a tensor's value into a string needs the value, but while tf.function "
        "traces, a tensor is symbolic: it has a shape and a dtype and no numbers. Use "
        "tf.print, which is an op and prints when the graph runs."),
    "branch_variable": (
        "A tensor-dependent if becomes one If op whose two arms must both produce every "
        "variable used afterwards. PyTorch only ran the arm it took, so a variable set in one "
        "arm was enough; a static graph has to give it a value on both paths."),
    "loop_shape": (
        "A tensor-dependent loop becomes one While op, whose loop variables keep the same "
        "shape and dtype in every iteration, since the body is a single graph traced once. "
        "PyTorch ran each iteration for real, so the shape could change as it went."),
    "loop_list": (
        "Inside a While op the body is one graph, traced once; a Python list appended to in "
        "it would hold a tensor of that inner graph, which does not exist outside the loop. A "
        "static loop collects values in a tf.TensorArray instead."),
    "trace_error": (
        "TensorFlow could not trace this line into a graph. The message above is "
        "TensorFlow's own."),
}


@dataclass
class NoTwin(Exception):
    """The snippet has no static twin: which construct, on which line, and why."""

    construct: str
    reason: str
    line: int | None = None
    source_line: str | None = None
    detail: str | None = None

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        where = f"line {self.line}" if self.line else "the snippet"
        text = f"No TensorFlow twin: {where} uses {self.construct}."
        if self.detail:
            text += f" ({self.detail})"
        return f"{text} {REASONS[self.reason]} The PyTorch graph is still the real one."

    def to_json(self) -> dict:
        return {"status": "no-twin", "message": self.message, "line": self.line,
                "construct": self.construct, "reason": self.reason,
                "source_line": self.source_line}


# TensorFlow's error text -> (reason, construct); groups of the pattern fill the construct.
ERROR_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(p, re.S), reason, construct) for p, reason, construct in [
        (r"maximum recursion depth", "recursion", "recursion whose depth depends on tensor values"),
        (r"'\w*Tensor' object has no attribute '(\w+)'", "tensor_method", "the tensor method .{0}"),
        (r"'\w*Tensor' object does not support item assignment", "item_assignment",
         "assignment into part of a tensor"),
        (r"symbolic `tf.Tensor` as a Python `bool`", "python_bool",
         "a tensor as a Python True/False outside an if/while statement"),
        (r"format string passed to \w*Tensor.__format__", "format",
         "a tensor's value formatted into a string"),
        (r"'(\w+)' must also be initialized in the \w+ branch", "branch_variable",
         "the variable {0}, set in only one arm of a tensor-dependent if"),
        (r"'(\w+)' has shape .* before the loop, but shape .* after", "loop_shape",
         "the variable {0}, whose shape changes between iterations of a tensor-dependent loop"),
        (r"'(\w+)' has dtype .* before the loop, but dtype .* after", "loop_shape",
         "the variable {0}, whose dtype changes between iterations of a tensor-dependent loop"),
        (r"is out of scope and cannot be used here", "loop_list",
         "a Python list filled inside a tensor-dependent loop"),
    ]]


def classify(message: str) -> tuple[str, str]:
    """The reason and construct TensorFlow's error ``message`` stands for."""
    for pattern, reason, construct in ERROR_PATTERNS:
        found = pattern.search(message)
        if found:
            return reason, construct.format(*found.groups())
    return "trace_error", "code TensorFlow could not trace"
