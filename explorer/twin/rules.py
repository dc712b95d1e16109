"""Bind a torch call's arguments to a rule's signature and fill its TF template.

Templates (see ``table``): ``{name}`` an argument's text, ``{name:p}`` the same in
parentheses unless atomic, ``{name:*}`` varargs as they were written (``a, b``), ``<...>``
written only when every argument inside was passed.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

REQUIRED = object()
ATOMIC = (ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript, ast.List, ast.Tuple,
          ast.Dict, ast.Set)
PLACEHOLDER = re.compile(r"\{(\w+)(:p|:\*)?\}")
OPTIONAL = re.compile(r"<([^<>]*)>")


@dataclass
class Arg:
    text: str
    node: ast.AST | None = None
    given: bool = True
    keyword: bool = False
    kind: str | None = None   # what explorer.twin.kinds knows it holds ("tensor", ...)
    boolean: bool = False     # a bool tensor, by its spelling

    @property
    def paren(self) -> str:
        return self.text if isinstance(self.node, ATOMIC) or not self.given else f"({self.text})"


class BindError(Exception):
    """A call's arguments do not fit a rule's torch signature."""


def _is_int(node: ast.AST | None) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _ints(node: ast.AST | None) -> bool:
    """An int literal, or a list/tuple of them: torch makes int64 of these, TF int32."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return bool(node.elts) and all(_ints(e) for e in node.elts)
    return _is_int(node)


PREDICATES = {
    "dim_is_int": lambda v: "dim" in v and (v["dim"].keyword or _is_int(v["dim"].node)),
    "wants_grad": lambda v: "requires_grad" not in v or v["requires_grad"].text != "False",
    "ints": lambda v: all(_ints(a.node) for a in v.values() if isinstance(a, Arg) and a.given),
    "is_dtype": lambda v: v["dtype"].text in DTYPES,
    "other_is_tensor": lambda v: v["other"].kind == "tensor",
    "no_diagonal": lambda v: "diagonal" not in v,
    "no_dtype": lambda v: "dtype" not in v,
    "input_is_bool": lambda v: v["input"].boolean,
}
DTYPES = {"tf.float16", "tf.float32", "tf.float64", "tf.int32", "tf.int64", "tf.bool"}


def _params(spec: str) -> list[tuple[str, object, bool]]:
    """``"input, *size, dtype=None"`` -> [(name, default or REQUIRED, is_varargs)]; a bare
    ``*`` is a varargs entry with no name."""
    params = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, default = part.partition("=")
        params.append((name.lstrip("*"), default or REQUIRED, name.startswith("*")))
    return params


def _shape(args: list[Arg]) -> str:
    """Varargs sizes as one TF shape: ``zeros(1, 10)`` -> ``(1, 10)``, ``view(*s)`` -> ``s``,
    ``randn(4)`` -> ``(4,)``; a lone name may hold an int or a shape: ``tf.TensorShape(n)``
    takes both (random ops refuse a scalar shape)."""
    if len(args) != 1:
        return "(" + ", ".join(a.text for a in args) + ")"
    node, text = args[0].node, args[0].text
    if isinstance(node, ast.Starred):
        return text[1:]
    if isinstance(node, (ast.Constant, ast.UnaryOp, ast.BinOp)):
        return f"({text},)"
    if isinstance(node, (ast.Tuple, ast.List)) or text.endswith(".shape"):
        return text
    return f"tf.TensorShape({text})"


def render(template: str, values: dict) -> str | None:
    """Fill ``template``; None when a required argument is missing."""
    def given(text: str) -> bool:
        return all(isinstance(values.get(n), Arg) and values[n].given
                   for n, _ in PLACEHOLDER.findall(text))
    text = OPTIONAL.sub(lambda m: m.group(1) if given(m.group(1)) else "", template)
    if any(name not in values for name, _ in PLACEHOLDER.findall(text)):
        return None

    def fill(m: re.Match) -> str:
        value = values[m.group(1)]
        if isinstance(value, list):
            return ", ".join(a.text for a in value) if m.group(2) == ":*" else _shape(value)
        return value.paren if m.group(2) else value.text
    return PLACEHOLDER.sub(fill, text)


def bind(spec: str, positional: list[Arg], keywords: list[tuple[str | None, Arg]]) -> dict:
    """Argument name -> Arg (a list for varargs), as Python would bind them to ``spec``;
    defaults other than None are filled in as not given. Raises BindError."""
    params = _params(spec)
    values: dict = {}
    index, keyword_only = 0, False
    for name, _default, varargs in params:
        if varargs:
            if name:
                values[name], index = positional[index:], len(positional)
            keyword_only = True
        elif not keyword_only and index < len(positional):
            if isinstance(positional[index].node, ast.Starred):
                raise BindError("*args")
            values[name], index = positional[index], index + 1
    if index < len(positional):
        raise BindError("too many positional arguments")
    names = {name for name, _, _ in params if name}
    for key, arg in keywords:
        if key is None or key not in names or key in values:
            raise BindError(f"argument {key}")
        values[key] = arg
    for name, default, varargs in params:
        if name in values or varargs or not name:
            continue
        if default is REQUIRED:
            raise BindError(f"missing {name}")
        if default != "None":
            values[name] = Arg(default, given=False)
    return values


# -- rules and the shapes most of them take ---------------------------------------------

@dataclass(frozen=True)
class Rule:
    params: str                      # torch's signature, e.g. "input, dim=None, keepdim=None"
    template: str                    # TF text
    when: str | None = None          # a predicate of twin_rules.PREDICATES
    module_level: bool = False       # only outside functions (initialisation code)


def unary(tf_name: str) -> tuple[Rule, ...]:
    return (Rule("input", f"{tf_name}({{input}})"),)


def infix(op: str, other: str = "other") -> tuple[Rule, ...]:
    return (Rule(f"input, {other}", f"({{input:p}} {op} {{{other}:p}})"),)


def reduction(tf_name: str) -> tuple[Rule, ...]:
    return (Rule("input, dim=None, keepdim=None",
                 f"{tf_name}({{input}}<, axis={{dim}}><, keepdims={{keepdim}}>)"),)


def extreme(tf_reduce: str, tt_dim: str, tf_pair: str) -> tuple[Rule, ...]:
    """torch.max / torch.min: all elements, along a dim (values, indices), or elementwise."""
    return (Rule("input", f"{tf_reduce}({{input}})"),
            Rule("input, dim, keepdim=None", f"{tt_dim}({{input}}, {{dim}}<, keepdim={{keepdim}}>)",
                 when="dim_is_int"),
            Rule("input, other", f"{tf_pair}({{input}}, {{other}})"))


FACTORY = ", *, dtype=None, device=None, requires_grad=None, layout=None"
