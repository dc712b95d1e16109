"""What each name and expression of a snippet holds: a tensor, tensors, a module, or plain
Python, as far as the text tells.

The twin rewrites a method call (``h.sum()``) only when it knows the receiver is a tensor; it
never guesses. The knowledge is positive: forward's parameters, results of torch calls, of
tensor methods and of module calls, arithmetic and indexing on tensors, and the names bound
from any of these. The inference is per function and flow-insensitive (a name that is ever a
tensor is a tensor), run to a fixed point so that helper functions called with tensors see
their parameters as tensors. Pure text: no torch, no TensorFlow.
"""
from __future__ import annotations

import ast

from explorer.twin.scope import FUNCTION_NODES, Scope

TENSOR, TENSORS, MODULE, PLAIN = "tensor", "tensors", "module", "plain"
RANK = {None: 0, PLAIN: 1, MODULE: 2, TENSORS: 3, TENSOR: 4}  # what a name ever held wins

# torch functions whose result is not a tensor
PLAIN_FUNCTIONS = {"torch.is_tensor", "torch.manual_seed", "torch.device", "torch.no_grad",
                   "torch.cuda.is_available", "torch.numel", "torch.Size", "torch.is_grad_enabled"}
# tensor methods whose result is a Python value (or a torch.Size)
PLAIN_METHODS = {"size", "dim", "numel", "item", "tolist", "ndimension", "nelement",
                 "is_contiguous", "element_size", "data_ptr", "get_device"}
# attributes of a tensor that are tensors
TENSOR_ATTRIBUTES = {"T", "mT", "H", "mH", "data", "values", "indices", "real", "imag"}
# attributes of a module that are its tensors (parameters and buffers)
PARAMETER_PREFIXES = ("weight", "bias", "running_", "in_proj_", "out_proj_")
PLAIN_BUILTINS = {"len", "int", "float", "bool", "str", "range", "isinstance", "print", "list",
                  "dict", "set", "tuple", "enumerate", "zip", "repr", "hasattr", "getattr",
                  "type", "round"}
# ops whose result is a bool tensor
BOOL_FUNCTIONS = {"eq", "ne", "gt", "ge", "lt", "le", "logical_and", "logical_or", "logical_not",
                  "logical_xor", "isclose", "isnan", "isinf", "isfinite", "bool"}
BOOL_OPERATORS = (ast.BitAnd, ast.BitOr, ast.BitXor)
DISPLAYS = (ast.Constant, ast.JoinedStr, ast.Dict, ast.Set, ast.ListComp, ast.DictComp,
            ast.SetComp, ast.GeneratorExp, ast.Lambda)


class Kinds(Scope):
    """Scope plus the kind of every name, per function, and of any expression."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.owner: dict[ast.AST, ast.AST] = {}   # node -> its innermost function (or tree)
        self.names: dict[ast.AST, dict[str, str]] = {}   # function (or tree) -> name -> kind
        self.fields: dict[str, str] = {}          # "self.x" -> kind, over every class
        self.returns: dict[str, str] = {}         # function name -> kind of what it returns
        self.bools: dict[ast.AST, set[str]] = {}  # function (or tree) -> names of bool tensors
        self.functions = {n.name: n for n in ast.walk(self.tree)
                          if isinstance(n, FUNCTION_NODES)}
        self._owners()
        for _ in range(8):  # a fixed point: each pass can only raise kinds
            if not self._infer():
                break

    # -- the kind of an expression ---------------------------------------------------------
    def kind(self, node: ast.AST) -> str | None:
        """TENSOR, TENSORS, MODULE, PLAIN, or None when the text does not tell."""
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, DISPLAYS):
            return PLAIN
        if isinstance(node, (ast.List, ast.Tuple)):
            kinds = {self.kind(e) for e in node.elts}
            return TENSORS if TENSOR in kinds or TENSORS in kinds else PLAIN
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.BinOp):
            return self._either(node.left, node.right)
        if isinstance(node, ast.UnaryOp):
            return self.kind(node.operand)
        if isinstance(node, ast.Compare):
            return self._either(node.left, *node.comparators)
        if isinstance(node, ast.BoolOp):
            return self._either(*node.values)
        if isinstance(node, ast.IfExp):
            return self._either(node.body, node.orelse)
        if isinstance(node, ast.Subscript):
            base = self.kind(node.value)
            return TENSOR if base in (TENSOR, TENSORS) else MODULE if base == MODULE else None
        if isinstance(node, ast.Starred):
            return self.kind(node.value)
        return None

    def is_tensor(self, node: ast.AST) -> bool:
        return self.kind(node) == TENSOR

    def is_bool(self, node: ast.AST) -> bool:
        """A bool tensor by its spelling: a comparison, a logical op, or a name bound from
        one (TF sums no bools; torch counts them)."""
        if isinstance(node, ast.Compare):
            return self._either(node.left, *node.comparators) == TENSOR
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)) \
                or isinstance(node, ast.BinOp) and isinstance(node.op, BOOL_OPERATORS):
            parts = [node.operand] if isinstance(node, ast.UnaryOp) else [node.left, node.right]
            return all(self.is_bool(p) for p in parts)
        if isinstance(node, ast.Call):
            func = node.func
            name = self.qualname(func) or ""
            method = func.attr if isinstance(func, ast.Attribute) and not name else ""
            return (name.rpartition(".")[2] or method) in BOOL_FUNCTIONS and (
                bool(name) or self.is_tensor(func.value))
        if isinstance(node, ast.Name):
            return node.id in self.bools.get(self.owner.get(node, self.tree), set())
        return False

    def _either(self, *nodes: ast.AST) -> str | None:
        kinds = [self.kind(n) for n in nodes]
        if TENSOR in kinds or TENSORS in kinds:
            return TENSOR
        return PLAIN if all(k == PLAIN for k in kinds) else None

    def _name(self, node: ast.Name) -> str | None:
        name = node.id
        if name in self.aliases or name in self.imported or name in self.classes \
                or name in self.functions:
            return PLAIN
        if name == "self":
            return MODULE
        if name in self.module_names:
            return MODULE
        scope = self.owner.get(node, self.tree)
        while True:  # the innermost function that binds it, then the module
            found = self.names.get(scope, {}).get(name)
            if found or scope is self.tree:
                return found
            scope = self.owner.get(scope, self.tree)

    def _attribute(self, node: ast.Attribute) -> str | None:
        if self.qualname(node) is not None:
            return PLAIN  # torch.float32, torch.nn: names, not values
        text = self.segment(node)
        if text in self.module_names:
            return MODULE
        if text in self.fields:
            return self.fields[text]
        base = self.kind(node.value)
        if base == TENSOR:
            return TENSOR if node.attr in TENSOR_ATTRIBUTES else PLAIN if node.attr in (
                "shape", "dtype", "device", "ndim", "requires_grad", "is_leaf") else None
        if base == MODULE and node.attr.startswith(PARAMETER_PREFIXES):
            return TENSOR
        if base == MODULE and node.attr == "training":
            return PLAIN
        return None

    def _call(self, node: ast.Call) -> str | None:
        func = node.func
        name = self.qualname(func)
        if name is not None:
            if self.makes_module(node):
                return MODULE
            return PLAIN if name in PLAIN_FUNCTIONS else TENSOR
        if isinstance(func, ast.Name):
            if func.id in self.classes:
                return MODULE
            if func.id in self.functions:
                return self.returns.get(func.id)
            if func.id in PLAIN_BUILTINS:
                return PLAIN
        if isinstance(func, ast.Attribute) and func.attr == "apply" \
                and getattr(func.value, "id", None) in self.classes:
            return TENSOR  # a custom autograd.Function's result
        if _self_method(func) in self.functions:
            return self.returns.get(func.attr)
        if isinstance(func, ast.Attribute):
            receiver = self.kind(func.value)
            if receiver == TENSOR:  # a torch.Tensor method: a tensor but for a few
                return PLAIN if func.attr in PLAIN_METHODS else TENSOR
            if receiver == MODULE and func.attr in ("train", "eval", "to", "cpu", "cuda"):
                return MODULE
            if receiver == MODULE and func.attr in ("parameters", "named_parameters"):
                return PLAIN
        callee = self.kind(func)
        if callee == MODULE:
            return TENSOR  # a module's (or a user object's) forward: what layers return
        return None

    # -- inference ---------------------------------------------------------------------------
    def _owners(self) -> None:
        stack: list[tuple[ast.AST, ast.AST]] = [(self.tree, self.tree)]
        while stack:
            node, owner = stack.pop()
            inner = node if isinstance(node, (*FUNCTION_NODES, ast.Lambda)) else owner
            for child in ast.iter_child_nodes(node):
                self.owner[child] = inner
                stack.append((child, inner))

    def _bind(self, scope: ast.AST, target: ast.AST, kind: str | None) -> bool:
        """Note that ``target`` holds ``kind``; True if that raised what was known."""
        if kind is None:
            return False
        if isinstance(target, (ast.Tuple, ast.List)):
            inner = TENSOR if kind in (TENSOR, TENSORS) else kind
            return any([self._bind(scope, t, inner) for t in target.elts])
        if isinstance(target, ast.Starred):
            return self._bind(scope, target.value, TENSORS if kind == TENSOR else kind)
        table, key = (self.names.setdefault(scope, {}), target.id) \
            if isinstance(target, ast.Name) else (self.fields, self.segment(target)) \
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
            and target.value.id == "self" else (None, None)
        if table is None or RANK[kind] <= RANK[table.get(key)]:
            return False
        table[key] = kind
        return True

    def _element(self, iterable: ast.AST) -> str | None:
        """The kind of what iterating ``iterable`` yields."""
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) \
                and iterable.func.id in ("enumerate", "zip", "reversed") and iterable.args:
            return self._element(iterable.args[-1])
        kind = self.kind(iterable)
        return TENSOR if kind in (TENSOR, TENSORS) else MODULE if kind == MODULE else (
            PLAIN if kind == PLAIN else None)

    def _infer(self) -> bool:
        """One pass over every binding; True if any kind was raised."""
        changed = False
        for node in ast.walk(self.tree):
            scope = self.owner.get(node, self.tree)
            if isinstance(node, FUNCTION_NODES):
                changed |= self._parameters(node)
            elif isinstance(node, ast.Assign):
                kind = self.kind(node.value)
                changed |= any([self._bind(scope, t, kind) for t in node.targets])
                if self.is_bool(node.value):
                    names = self.bools.setdefault(scope, set())
                    new = {t.id for t in node.targets if isinstance(t, ast.Name)} - names
                    names |= new
                    changed |= bool(new)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                changed |= self._bind(scope, node.target, self.kind(node.value))
            elif isinstance(node, (ast.For, ast.comprehension)):
                inner = scope if isinstance(node, ast.For) else self.owner.get(node, scope)
                kind = self._element(node.iter)
                if isinstance(node.iter, ast.Call) and getattr(node.iter.func, "id", "") \
                        == "enumerate" and isinstance(node.target, ast.Tuple):
                    changed |= self._bind(inner, node.target.elts[0], PLAIN)
                    changed |= self._bind(inner, node.target.elts[-1], kind)
                else:
                    changed |= self._bind(inner, node.target, kind)
            elif isinstance(node, ast.Return) and node.value is not None \
                    and isinstance(scope, FUNCTION_NODES):
                kind = self.kind(node.value)
                if RANK[kind] > RANK[self.returns.get(scope.name)]:
                    self.returns[scope.name], changed = kind, True
            elif isinstance(node, ast.NamedExpr):
                changed |= self._bind(scope, node.target, self.kind(node.value))
            elif isinstance(node, ast.Call):
                changed |= self._call_facts(scope, node)
        return changed

    def _parameters(self, function: ast.AST) -> bool:
        """forward's parameters are tensors; a helper's are what its callers pass."""
        params = [a for a in (*function.args.posonlyargs, *function.args.args)
                  if a.arg != "self"]
        if function.name == "forward":
            return any([self._bind_arg(function, a, TENSOR) for a in params])
        changed = False
        for call in ast.walk(self.tree):
            if isinstance(call, ast.Call) and function.name in (
                    getattr(call.func, "id", None), _self_method(call.func)):
                for param, arg in zip(params, call.args):
                    changed |= self._bind_arg(function, param, self.kind(arg))
                by_name = {a.arg: a for a in params}
                for kw in call.keywords:
                    if kw.arg in by_name:
                        changed |= self._bind_arg(function, by_name[kw.arg], self.kind(kw.value))
        return changed

    def _bind_arg(self, function: ast.AST, arg: ast.arg, kind: str | None) -> bool:
        return self._bind(function, ast.Name(arg.arg), kind)

    def _call_facts(self, scope: ast.AST, call: ast.Call) -> bool:
        """``outs.append(h)``: a list of tensors; ``self.register_buffer("b", t)``: a tensor."""
        func = call.func
        if not isinstance(func, ast.Attribute) or not call.args:
            return False
        if func.attr in ("append", "extend", "insert") and isinstance(func.value, ast.Name):
            kind = self.kind(call.args[-1])
            if func.attr == "extend":
                kind = TENSOR if kind == TENSORS else kind
            return self._bind(scope, func.value, TENSORS if kind == TENSOR else None)
        if func.attr in ("register_buffer", "register_parameter") and len(call.args) == 2 \
                and isinstance(call.args[0], ast.Constant):
            key = f"self.{call.args[0].value}"
            if RANK[TENSOR] > RANK[self.fields.get(key)]:
                self.fields[key] = TENSOR
                return True
        return False


def _self_method(func: ast.AST) -> str | None:
    """``self.attend`` -> ``"attend"``: a call of the snippet's own method."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id == "self":
        return func.attr
    return None
