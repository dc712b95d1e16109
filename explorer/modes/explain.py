"""Why a graph mode stopped, in plain words that name the user's line.

torch's own reasons (``generic_jump TensorVariable()``, ``GuardOnDataDependentSymNode``) are
kept beside ours as ``torch_reason`` / ``torch_message``: ours say what a student needs, theirs
stay true to what PyTorch said. First match wins."""
from __future__ import annotations

import ast
import linecache
import re

from explorer import snippet
from explorer.modes import SNIPPET_MODULE

COMPILE_NOTE = ("torch.compile runs your Python as usual but records the tensor operations into "
                "FX graphs; where Python needs a tensor's value it ends the graph (a graph "
                "break), runs that bit in Python and starts a new graph.")
EXPORT_NOTE = ("torch.export must make ONE graph that is right for every input, so Python "
               "control flow on a tensor's value is refused: write it with torch.cond or "
               "while_loop, which put both arms (or the loop body) inside the graph, as "
               "tf.function's If and While do.")
SCRIPT_NOTE = ("torch.jit.script is deprecated (PyTorch says so as it runs: switch to "
               "torch.compile or torch.export); the course teaches it as PyTorch's hybrid "
               "approach. It compiles the "
               "Python source, so an if or while on a tensor becomes prim::If / prim::Loop with "
               "its blocks.")
TRACE_NOTE = ("torch.jit.trace runs forward once and records the operations that ran: it sees "
              "no if or while, only the path this input took, and says so in a TracerWarning.")

WHERE = re.compile(r'File "' + re.escape(snippet.SNIPPET_FILE) + r'", line (\d+)')
SCRIPT_WHERE = re.compile(re.escape(snippet.SNIPPET_FILE) + r'"?,? (?:line )?(\d+)')


def source(line: int | None) -> str:
    """The user's line without its comment (a ``#`` after two spaces, as code is written)."""
    text = snippet.source_line(linecache.getlines(snippet.SNIPPET_FILE), line) or ""
    return text.split("  #", 1)[0].strip()


def _statement(text: str) -> str:
    word = text.split(" ", 1)[0].rstrip(":")
    return word if word in ("if", "elif", "while", "assert") else "if"


def _at(line: int | None) -> str:
    text = source(line)
    return f"line {line}: `{text}`" if line and text else (f"line {line}" if line else "")


# torch.compile's break reasons in our words: (substrings of torch's reason, the words; {at} is
# "line N: `code`", {kind} the statement that needed the value: if, while, assert)
BREAK_WORDS = [
    (("generic_jump", "Data-dependent", "data dependent"),
     "{at} needs the tensor's value in Python, so torch.compile ends the graph here, runs the "
     "`{kind}` in Python and starts a new graph."),
    (("item()",),
     "{at} turns a tensor into a Python number with .item(); a graph holds tensors, so "
     "torch.compile ends the graph, computes the number in Python and starts a new graph "
     "after it."),
    (("print", "builtin operator"),
     "{at} calls Python code that has no tensor op (print and friends), so torch.compile ends "
     "the graph, runs it in Python and starts a new graph."),
    (("RNN, GRU, or LSTM",),
     "{at} calls an nn.RNN, GRU or LSTM, which torch.compile does not trace (the loop over "
     "time steps stays in C++): it runs that call in Python, outside any graph, and starts a "
     "new graph after it."),
    (("Dynamic shape operator", "output shape depends"),
     "{at} makes a tensor whose shape depends on the values (nonzero, masked indexing), so "
     "torch.compile ends the graph there and starts a new one."),
]


def graph_break(code: str, line: int | None, reason: str) -> str:
    at = _at(line)
    for patterns, words in BREAK_WORDS:
        if any(p in reason for p in patterns):
            return words.format(at=at, kind=_statement(source(line)))
    return f"{at}: torch.compile ends the graph here: {_first(reason)}"


def _first(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    explanation = next((line for line in lines if line.startswith("Explanation:")), None)
    head = lines[0] if lines else ""
    if explanation and head.startswith("Encountered graph break"):  # torch's preamble only
        return explanation.removeprefix("Explanation:").strip()
    return f"{head}. {explanation.removeprefix('Explanation:').strip()}" if explanation else head


ARGUMENT_TYPE = re.compile(r"Expected a value of type '([^']+)' for argument '(\w+)' but "
                           r"instead found type '(\w+)'")
BUILTIN_CLASS = re.compile(r"<class '" + re.escape(SNIPPET_MODULE) + r"\.(\w+)'> is a built-in")


def _applied_at(code: str, name: str) -> int | None:
    """The line of the first ``name.apply(`` (a custom autograd.Function) in ``code``."""
    from explorer.modes import why

    try:
        return why.custom_functions(ast.parse(code)).get(name)
    except SyntaxError:
        return None


def user_line(exc: BaseException, message: str) -> int | None:
    """The line torch's message names (export and TorchScript point at the statement they
    refused), else the innermost line of the user's code in the traceback."""
    found = WHERE.findall(message) or SCRIPT_WHERE.findall(message)
    return int(found[-1]) if found else snippet.user_line(exc)


def export_reason(message: str, line: int | None) -> str:
    at = _at(line)
    text = source(line)
    if "GuardOnDataDependent" in message or "data-dependent" in message:
        kind = _statement(text)
        fix = "torch.cond" if kind in ("if", "elif") else (
            "torch._higher_order_ops.while_loop" if kind == "while" else "torch.cond")
        return (f"{at} decides with a tensor's value, and torch.export must make one graph "
                f"for every input, so it cannot choose here. Written with {fix}, the choice "
                "goes inside the graph.")
    return f"{at}: torch.export could not export this: {_first(message)}"


def script_reason(message: str, line: int | None) -> str:
    at = _at(line) or "your code"
    if "closed over global" in message:
        return (f"{at} reads a global tensor; TorchScript compiles a function only with values "
                "it can type, so a tensor must come in as an argument or live in a module.")
    if "Cannot insert a Tensor that requires grad as a constant" in message:
        return (f"{at} reads a module-level tensor that requires grad; a trace can keep it "
                "only as a constant, which would lose its gradient, so torch.jit.trace "
                "refuses: make it a parameter of an nn.Module or an argument of forward.")
    wrong = ARGUMENT_TYPE.search(message)
    if wrong:
        wanted, name, found = wrong.groups()
        wanted = wanted.removesuffix(" (inferred)")
        return (f"{at}: TorchScript typed the argument `{name}` as a {wanted} (it types an "
                f"argument without an annotation so), and this input passes a {found}, so "
                "the scripted forward refuses it.")
    if "Unknown type annotation" in message or "Expected a value of type" in message:
        return (f"{at}: TorchScript types every value (a Tensor unless annotated) and this one "
                f"does not fit: {_first(message)}")
    if "attribute lookup is not defined on python value" in message:
        return (f"{at}: a scripted function reaches a module-level nn.Module only by calling "
                "it (the call runs back in Python); its other methods and attributes are not "
                "in TorchScript's language. Call them outside forward, or make forward the "
                "method of an nn.Module that holds the module.")
    if "not supported" in message or "unsupported" in message.lower():
        return f"{at} uses Python that TorchScript's language does not have: {_first(message)}"
    return f"{at}: TorchScript could not compile it: {_first(message)}"


def failure(mode: str, code: str, exc: BaseException) -> dict:
    """A mode that could not give its graph: the reason in our words, torch's beside it."""
    message = str(exc)
    line = user_line(exc, message)
    builtin = BUILTIN_CLASS.search(message)
    applied = _applied_at(code, builtin.group(1)) if builtin and mode == "torchscript" else None
    if mode == "export":
        words = export_reason(message, line)
    elif applied is not None:  # a custom autograd.Function, named by TorchScript without a line
        line = applied
        words = (f"{_at(line)} applies a custom torch.autograd.Function: torch.jit.script "
                 "cannot compile one (its forward and backward are Python); torch.jit.trace "
                 "keeps it as one prim::PythonOp that runs your Function back in Python, "
                 "backward included.")
    elif mode == "torchscript":
        words = script_reason(message, line)
    else:
        words = f"{_at(line) or 'your code'}: torch.compile could not run it: {_first(message)}"
    return {"status": "unsupported", "mode": mode, "message": words, "line": line,
            "source_line": source(line) or None, "error_type": type(exc).__name__,
            "torch_message": message.strip()[:1500]}
