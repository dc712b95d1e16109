"""Snippet text -> TensorFlow text: table translations spliced into the user's own source.

Only the torch parts change; comments, layout and line numbers stay, so line N of the twin is
line N of the snippet and an error in either names the same line. Pure text: imports neither
torch nor TensorFlow, so the app may show the TF code without loading them.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from explorer.twin import table
from explorer.twin.kinds import TENSOR, Kinds
from explorer.twin.limits import NoTwin
from explorer.twin.loops import LoopPlan
from explorer.twin.rules import PREDICATES, Arg, BindError, bind, render
from explorer.twin.scope import Recursion, comments, recursive_functions
from explorer.twin.table import Rule

HEADER = "\x00twin-header\x00"     # where the first torch import puts tf (and tt) imports


@dataclass
class Translation:
    code: str                                                  # the TF twin, line for line
    recursive: list[Recursion] = field(default_factory=list)  # functions that call themselves


class Rewriter(Kinds):
    """One translation: the edits to the snippet's text, outermost translation first."""

    def __init__(self, code: str, collect: bool = False) -> None:
        super().__init__(code)
        self.header_done = False
        self.cache: dict[ast.AST, str] = {}
        # collect=True: every construct without a rule is noted here, and the walk goes on
        self.found: dict[tuple, NoTwin] | None = {} if collect else None
        self.noted: set[ast.AST] = set()
        self.loops = LoopPlan(self)
        for problem in self.loops.problems:
            if self.found is None:
                raise problem
            self.found[(problem.line, 0, problem.construct)] = problem

    # -- edits -----------------------------------------------------------------------------
    def output(self) -> str:
        text = self.splice(self.tree, 0, len(self.data))
        header = table.TF_IMPORT + (f"; {table.TT_IMPORT}" if re.search(r"\btt\.", text) else "")
        return text.replace(HEADER, header)

    def splice(self, root: ast.AST, start: int, end: int) -> str:
        """The source from ``start`` to ``end`` with every translated node below ``root``
        replaced; the outermost translation wins (explicit stack, no recursion)."""
        edits: list[tuple[int, int, str]] = []
        stack = list(reversed(list(ast.iter_child_nodes(root))))
        while stack:
            node = stack.pop()
            if isinstance(node, ast.JoinedStr) and node.lineno != node.end_lineno:
                continue  # Python 3.11 misplaces nodes inside multi-line f-strings
            text = self.translate(node) if hasattr(node, "end_lineno") else None
            if text is None:
                stack.extend(reversed(list(ast.iter_child_nodes(node))))
            else:
                edits.append((*self.span(node), text))
        out, position = [], start
        for lo, hi, text in sorted(edits):
            if lo >= position and hi <= end:
                out += [self.data[position:lo].decode(), text]
                position = hi
        return "".join(out) + self.data[position:end].decode()

    def text_of(self, node: ast.AST) -> str:
        """The TF text of an expression."""
        if node not in self.cache:
            text = self.translate(node)
            self.cache[node] = text if text is not None else self.splice(node, *self.span(node))
        return self.cache[node]

    def translate(self, node: ast.AST) -> str | None:
        """The TF text replacing ``node``, or None to look inside it; a loop's guard flag
        (explorer.twin.loops) goes around the node's own translation."""
        edit = self.loops.edits.get(node)
        if edit is None:
            return self.translate_node(node)
        if edit.replace is not None:
            return edit.replace
        text = self.translate_node(node)
        text = text if text is not None else self.splice(node, *self.span(node))
        before = edit.before.replace("{returned}", self.text_of(edit.returned)) \
            if edit.returned is not None else edit.before
        return f"{before}{text}{edit.after}"

    def translate_node(self, node: ast.AST) -> str | None:
        handler = HANDLERS.get(type(node))
        if handler is None:
            return None
        if node in self.noted:
            return self.segment(node)  # the torch name of a construct already noted
        try:
            text = handler(self, node)
        except NoTwin as problem:
            if self.found is None:
                raise
            # a call and its callee start at one place: ``torch.foo(x)`` is noted once
            key = (node.lineno, node.col_offset, problem.construct.removesuffix("()"))
            self.found.setdefault(key, problem)
            self.noted.update(self._torch_name(node))
            return None  # look inside: its arguments may lack rules too
        if text is None:
            return None
        original = self.segment(node)
        missing = original.count("\n") - text.count("\n")
        if missing > 0:  # re-rendered arguments spanned lines: keep line numbers, comments
            kept = "".join(f"  {c}" for c in comments(original) if c not in text)
            padding = kept + "\n" * missing
            text = text + padding if isinstance(node, ast.stmt) else f"({text}{padding})"
        return text

    def _torch_name(self, node: ast.AST) -> list[ast.AST]:
        """The nodes spelling the torch name ``node`` calls or is (``torch``, ``torch.foo``),
        so a construct without a rule is noted once, not once per part of its name; all of
        a class's nodes for a class."""
        if isinstance(node, ast.ClassDef):  # a custom autograd.Function: noted as a whole
            return list(ast.walk(node))[1:]
        head = node.func if isinstance(node, ast.Call) else node
        if self.qualname(head) is None:
            return []
        chain = [head]
        while isinstance(chain[-1], ast.Attribute):
            chain.append(chain[-1].value)
        return chain

    # -- handlers --------------------------------------------------------------------------
    def apply(self, rules: tuple[Rule, ...], node: ast.Call, receiver: Arg | None = None,
              ) -> str | None:
        """The first rule that binds the call; None if none does."""
        scope_ok = node not in self.in_function
        if receiver is not None:
            receiver.boolean = self.is_bool(receiver.node)
        positional = ([receiver] if receiver else []) + [
            Arg(self.text_of(a), a, kind=self.kind(a), boolean=self.is_bool(a))
            for a in node.args]
        keywords = [(kw.arg, Arg(self.text_of(kw.value), kw.value, keyword=True,
                                 kind=self.kind(kw.value))) for kw in node.keywords]
        for rule in rules:
            if rule.module_level and not scope_ok:
                continue
            try:
                values = bind(rule.params, positional, keywords)
            except BindError:
                continue
            if rule.when and not PREDICATES[rule.when](values):
                continue
            text = render(rule.template, values)
            if text is None:
                continue
            wants_grad = values.get("requires_grad")  # a factory's requires_grad=True
            if isinstance(wants_grad, Arg) and wants_grad.text != "False" and scope_ok \
                    and not text.startswith("tf.Variable("):
                text = f"tf.Variable({text})"
            return text
        return None

    def call(self, node: ast.Call) -> str | None:
        name = self.qualname(node.func)
        if name is not None:
            rules = table.FUNCTIONS.get(name)
            text = self.apply(rules, node) if rules else None
            if text is not None:
                return text
            if self.is_class(name) or name in table.CONSTANTS:
                return None  # keep the call; the name itself is translated below
            spelled = self.segment(node.func)
            if name in table.UNSUPPORTED:
                raise self.no_twin(node, f"{spelled}()", table.UNSUPPORTED[name])
            detail = "not with these arguments" if rules else None
            raise self.no_twin(node, f"{spelled}()", "outside_table", detail)
        func = node.func
        if isinstance(func, ast.Name) and func.id in table.BUILTINS and len(node.args) == 1 \
                and not node.keywords and self.is_tensor(node.args[0]) \
                and getattr(self.owner.get(node), "name", None) != "inputs":  # never traced
            return self.apply(table.BUILTINS[func.id], node)  # float(t): a number, off the graph
        rules = isinstance(func, ast.Attribute) and (
            table.METHODS.get(func.attr) or table.IN_PLACE.get(func.attr))
        if rules and self.receiver_is_tensor(node, func):
            return self.apply(rules, node, Arg(self.text_of(func.value), func.value))
        if self.found is not None and isinstance(func, ast.Attribute) and not rules \
                and func.attr not in table.TF_TENSOR_METHODS \
                and func.attr not in table.UNSUPPORTED_ATTRIBUTES and self.is_tensor(func.value):
            # translate leaves it for TensorFlow to refuse while tracing; the list names it now
            raise self.no_twin(node, f"the tensor method .{func.attr}", "tensor_method")
        return None

    def receiver_is_tensor(self, node: ast.AST, func: ast.Attribute) -> bool:
        """Whether ``func.value``'s method is a tensor method; a receiver the twin cannot
        tell about is a no-twin, never a guess."""
        kind = self.kind(func.value)
        if kind is None:
            raise self.no_twin(node, f"{self.segment(func)}()", "unknown_receiver",
                               f"is {self.segment(func.value)} a tensor?")
        return kind == TENSOR

    def is_class(self, name: str) -> bool:
        return name.rpartition(".")[0] == "torch.nn" and name.rpartition(".")[2] in table.CLASSES

    def attribute(self, node: ast.Attribute | ast.Name) -> str | None:
        name = self.qualname(node)
        if name is None:
            if isinstance(node, ast.Name) or not self.is_tensor(node.value):
                return None
            if node.attr in table.UNSUPPORTED_ATTRIBUTES and node in self.in_function:
                raise self.no_twin(node, f".{node.attr}", table.UNSUPPORTED_ATTRIBUTES[node.attr])
            template = table.ATTRIBUTES.get(node.attr)
            return render(template, {"input": Arg(self.text_of(node.value), node.value)}) \
                if template else None
        if name in table.CONSTANTS:
            return table.CONSTANTS[name]
        if name in table.MODULES and name != "torch":
            return self.segment(node)  # bound to explorer.twin.lib by the rewritten import
        if self.is_class(name):
            base = node.value if isinstance(node, ast.Attribute) else None
            keep = base is None or self.qualname(base) == "torch.nn" and isinstance(base, ast.Name)
            return self.segment(node) if keep else f"tt.{node.attr}"
        if name in table.UNSUPPORTED:
            raise self.no_twin(node, self.segment(node), table.UNSUPPORTED[name])
        reference = _function_reference(table.FUNCTIONS.get(name, ()))
        if reference:
            return reference
        raise self.no_twin(node, self.segment(node), "outside_table")

    def subscript(self, node: ast.Subscript) -> str | None:
        """``x[idx]`` and ``x[mask]`` with tensors in the key (TF's ``[]`` takes numbers and
        slices only): tf.boolean_mask for a comparison, ``tt.index`` otherwise."""
        if not isinstance(node.ctx, ast.Load) or not self.is_tensor(node.value):
            return None
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not any(self.is_tensor(p) for p in parts):
            return None
        value, key = self.text_of(node.value), self.text_of(node.slice)
        if len(parts) == 1 and isinstance(parts[0], ast.Compare):
            return f"tf.boolean_mask({value}, {key})"
        return f"tt.index({value}, {key if len(parts) == 1 else f'tt.at[{key}]'})"

    def expression_statement(self, node: ast.Expr) -> str | None:
        """``h.add_(x)`` -> ``h = (h + x)``; initialisation calls (nn.init) -> ``pass``."""
        call = node.value
        if not isinstance(call, ast.Call):
            return None
        name = self.qualname(call.func) or ""
        if name.startswith(table.INIT_ONLY) and node not in self.in_function:
            return "pass"
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in table.IN_PLACE
                and self.receiver_is_tensor(node, func)):
            return None
        if isinstance(func.value, ast.Subscript):
            raise self.no_twin(node, f"the in-place .{func.attr}() on part of a tensor",
                               "item_assignment")
        target = self.text_of(func.value)
        value = self.apply(table.IN_PLACE[func.attr], call, Arg(target, func.value))
        return f"{target} = {_bare(value)}" if value is not None else None

    def subscript_write(self, node: ast.Assign | ast.AugAssign) -> str | None:
        """``h[:, 0] = v`` -> ``h = tt.setitem(h, tt.at[:, 0], v)``: a new tensor, rebound."""
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        target = targets[0]
        if len(targets) != 1 or not isinstance(target, ast.Subscript) \
                or not isinstance(target.value, (ast.Name, ast.Attribute)) \
                or not self.tensor_like(target.value):
            return None
        name, key = self.text_of(target.value), self.text_of(target.slice)
        value = self.text_of(node.value)
        if isinstance(node, ast.AugAssign):
            value = f"{name}[{key}] {OPERATORS[type(node.op)]} ({value})"
        return f"{name} = tt.setitem({name}, tt.at[{key}], {value})"

    def imports(self, node: ast.Import | ast.ImportFrom) -> str | None:
        """Torch imports bind the twin's modules under the same names; the first one also
        imports TensorFlow (and the twin runtime, where the translation uses it)."""
        if not _imports_torch(node):
            return None
        parts, kept = [], []
        for a in node.names:
            local = a.asname or (a.name if isinstance(node, ast.ImportFrom)
                                 else a.name.split(".")[0])
            target = self.aliases.get(local, "")
            if not target.startswith("torch"):
                kept.append(a)
            elif target in table.MODULES and target != "torch":
                parts.append(f"import {table.MODULES[target]} as {local}")
            elif self.is_class(target):
                name = target.rpartition(".")[2]
                parts.append(f"from explorer.twin.lib import {name}"
                             + (f" as {local}" if local != name else ""))
            # torch itself and torch functions: every use is rewritten, nothing to bind
        if kept:
            node = ast.ImportFrom(node.module, kept, node.level) \
                if isinstance(node, ast.ImportFrom) else ast.Import(kept)
            parts.append(ast.unparse(node))
        if not self.header_done:
            self.header_done = True
            parts.insert(0, HEADER)
        return "; ".join(parts) or "pass"

    def class_def(self, node: ast.ClassDef) -> str | None:
        for base in node.bases:
            if self.qualname(base) == "torch.autograd.Function":
                raise self.no_twin(node, f"a custom torch.autograd.Function (class {node.name})",
                                   "autograd_function")
        return None


def _bare(text: str) -> str:
    """``(h + x)`` -> ``h + x``: a whole right-hand side needs no parentheses."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and i < len(text) - 1:
            return text  # (a) + (b): the first group closes early
    return text[1:-1]


def _imports_torch(node: ast.Import | ast.ImportFrom) -> bool:
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) \
        else [a.name for a in node.names]
    return any(n == "torch" or n.startswith("torch.") for n in names)


def _function_reference(rules: tuple[Rule, ...]) -> str | None:
    """``torch.tanh`` used as a value -> ``tf.tanh``, for one-argument rules only."""
    match = re.fullmatch(r"([\w.]+)\(\{input\}\)", rules[0].template) if rules else None
    return match.group(1) if match and rules[0].params == "input" else None


# What each kind of node may be rewritten by; other nodes are looked inside.
HANDLERS = {ast.Call: Rewriter.call, ast.Attribute: Rewriter.attribute,
            ast.Name: Rewriter.attribute, ast.Expr: Rewriter.expression_statement,
            ast.Import: Rewriter.imports, ast.ImportFrom: Rewriter.imports,
            ast.ClassDef: Rewriter.class_def, ast.Assign: Rewriter.subscript_write,
            ast.AugAssign: Rewriter.subscript_write, ast.Subscript: Rewriter.subscript}
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
             ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%"}


def translate(code: str) -> Translation:
    """The TF twin of snippet ``code``; raises NoTwin naming the construct and line, and
    SyntaxError for code that does not parse."""
    rewriter = Rewriter(code)
    return Translation(code=rewriter.output(), recursive=recursive_functions(rewriter.tree))


def missing(code: str) -> list[NoTwin]:
    """Every construct of snippet ``code`` without a rule, in the order of its lines (empty
    when the whole snippet translates); raises SyntaxError for code that does not parse.
    ``translate`` stops at the first; this walks on, for the coverage report and the check's
    JSON."""
    rewriter = Rewriter(code, collect=True)
    rewriter.output()
    return [rewriter.found[key] for key in sorted(rewriter.found)]
