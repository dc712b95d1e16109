"""The statement torch.export refused, rewritten with PyTorch's own control-flow ops: an ``if``
on a tensor becomes ``torch.cond(pred, true_fn, false_fn, operands)``, a ``while`` on a tensor
``torch._higher_order_ops.while_loop(cond_fn, body_fn, carried)``. The same kind of AST
rewrite as the TF twin's (which hands its ``if``/``while`` to AutoGraph), done by hand.

Only the statement at the refused line is rewritten; the caller exports again and rewrites
the next refusal, so Python control flow on Python values stays as it was.

Branch functions take the local variables they read as explicit operands and return every
variable either arm assigns (torch.cond wants both arms to give the same outputs); an arm that
leaves one as it was gives back a copy (``loss.clone()``), since a branch may not return its
own input. In a method (``Model.forward``), ``self`` stays a closure, not an operand."""
from __future__ import annotations

import ast

WHILE = "torch._higher_order_ops.while_loop"
CLOSED_OVER = {"self", "cls"}  # not tensors: the branch functions see them as closures


class CannotRewrite(Exception):
    """This statement has no torch.cond / while_loop form; the message says why."""


def _names(nodes: list[ast.AST], ctx: type) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _defined_before(fn: ast.FunctionDef, line: int) -> set[str]:
    args = {a.arg for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
    stored = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
              and n.lineno < line}
    return (args | stored) - CLOSED_OVER


def _clone(name: str) -> ast.expr:
    return ast.parse(f"{name}.clone()", mode="eval").body


def _copied(arm: list[ast.stmt], outs: list[str], ins: list[str]) -> ast.Return:
    """The arm's ``return (a, b)``: an operand the arm does not assign comes back copied."""
    kept = _names(arm, ast.Store)
    return ast.Return(value=ast.Tuple(elts=[
        _clone(n) if n in ins and n not in kept
        else ast.Name(id=n, ctx=ast.Load()) for n in outs], ctx=ast.Load()))


def _copy_returned_operands(arm: list[ast.stmt], ins: list[str]) -> list[ast.stmt]:
    """``return x`` of an operand ``x`` becomes ``return x.clone()`` (no input aliasing)."""
    for node in (n for stmt in arm for n in ast.walk(stmt)):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) \
                and node.value.id in ins:
            node.value = _clone(node.value.id)
    return arm


def _returns(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Return) for stmt in body for n in ast.walk(stmt))


def _ends_in_return(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], ast.Return) and not _returns(body[:-1])


def _def(name: str, params: list[str], body: list[ast.stmt]) -> ast.FunctionDef:
    return ast.FunctionDef(name=name, args=ast.arguments(
        posonlyargs=[], args=[ast.arg(arg=p) for p in params], kwonlyargs=[], kw_defaults=[],
        defaults=[]), body=body or [ast.Pass()], decorator_list=[], returns=None, type_params=[])


def _tuple(names: list[str], ctx: ast.expr_context) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Name(id=n, ctx=ctx) for n in names], ctx=ctx)


def _call(func: str, args: list[ast.expr]) -> ast.Call:
    return ast.Call(func=ast.parse(func, mode="eval").body, args=args, keywords=[])


def _rewrite_if(fn: ast.FunctionDef, body: list[ast.stmt], i: int) -> list[ast.stmt]:
    stmt = body[i]
    assert isinstance(stmt, ast.If)
    then, orelse, rest = stmt.body, stmt.orelse, body[i + 1:]
    line = stmt.lineno
    before = _defined_before(fn, line)
    both_return = _ends_in_return(orelse) or (not orelse and _ends_in_return(rest))
    if _ends_in_return(then) and both_return:
        orelse = orelse or rest  # `if ...: return a` then `return b`: the rest is the else
        ins = sorted(_names(then + orelse + [stmt.test], ast.Load) & before)
        arms = [_def(f"true_fn_{line}", ins, _copy_returned_operands(then, ins)),
                _def(f"false_fn_{line}", ins, _copy_returned_operands(orelse, ins))]
        call = _call("torch.cond", [stmt.test, ast.Name(id=arms[0].name, ctx=ast.Load()),
                                    ast.Name(id=arms[1].name, ctx=ast.Load()),
                                    _tuple(ins, ast.Load())])
        return [*arms, ast.Return(value=call)]
    if _returns(then) or _returns(orelse):
        raise CannotRewrite(f"line {line}: the if returns from one arm only; torch.cond needs "
                            "both arms to give values back the same way")
    outs = sorted(_names(then + orelse, ast.Store))
    missing = [n for n in outs if n not in before and not (
        n in _names(then, ast.Store) and n in _names(orelse, ast.Store))]
    if missing:
        raise CannotRewrite(f"line {line}: {', '.join(missing)} is set in one arm only and has "
                            "no value before the if; torch.cond needs a value from both arms")
    ins = sorted((_names(then + orelse, ast.Load) | set(outs)) & before)
    arms = [_def(f"true_fn_{line}", ins, [*then, _copied(then, outs, ins)]),
            _def(f"false_fn_{line}", ins, [*orelse, _copied(orelse, outs, ins)])]
    call = _call("torch.cond", [stmt.test, ast.Name(id=arms[0].name, ctx=ast.Load()),
                                ast.Name(id=arms[1].name, ctx=ast.Load()),
                                _tuple(ins, ast.Load())])
    return [*arms, ast.Assign(targets=[_tuple(outs, ast.Store())], value=call), *rest]


def _rewrite_while(fn: ast.FunctionDef, body: list[ast.stmt], i: int) -> list[ast.stmt]:
    stmt = body[i]
    assert isinstance(stmt, ast.While)
    line = stmt.lineno
    if stmt.orelse or any(isinstance(n, (ast.Break, ast.Continue, ast.Return))
                          for s in stmt.body for n in ast.walk(s)):
        raise CannotRewrite(f"line {line}: the while has a break, continue, return or else; "
                            "while_loop's body must run to its end each time")
    carried = sorted(_names(stmt.body, ast.Store) & _defined_before(fn, line))
    if not carried:
        raise CannotRewrite(f"line {line}: the loop changes no variable that exists before it")
    back = ast.Return(value=_tuple(carried, ast.Load()))
    funcs = [_def(f"cond_fn_{line}", carried, [ast.Return(value=stmt.test)]),
             _def(f"body_fn_{line}", carried, [*stmt.body, back])]
    call = _call(WHILE, [ast.Name(id=funcs[0].name, ctx=ast.Load()),
                         ast.Name(id=funcs[1].name, ctx=ast.Load()), _tuple(carried, ast.Load())])
    return [*funcs, ast.Assign(targets=[_tuple(carried, ast.Store())], value=call),
            *body[i + 1:]]


def _find(fn: ast.FunctionDef, body: list[ast.stmt], line: int) -> list[ast.stmt] | None:
    """``body`` with the if/while that starts at ``line`` rewritten, wherever it is nested."""
    for i, stmt in enumerate(body):
        if stmt.lineno == line and isinstance(stmt, ast.If):
            return body[:i] + _rewrite_if(fn, body, i)
        if stmt.lineno == line and isinstance(stmt, ast.While):
            return body[:i] + _rewrite_while(fn, body, i)
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and inner and not isinstance(stmt, ast.FunctionDef):
                found = _find(fn, inner, line)
                if found is not None:
                    setattr(stmt, field, found)
                    return body
    return None


def rewrite(code: str, line: int) -> str:
    """``code`` with the tensor-valued if/while at ``line`` written with torch.cond or
    while_loop; raises CannotRewrite with the reason when it has no such form."""
    tree = ast.parse(code)
    methods = [n for cls in tree.body if isinstance(cls, ast.ClassDef) for n in cls.body
               if isinstance(n, ast.FunctionDef)]
    for fn in [n for n in tree.body if isinstance(n, ast.FunctionDef)] + methods:
        if not fn.lineno <= line <= (fn.end_lineno or fn.lineno):
            continue
        found = _find(fn, fn.body, line)
        if found is None:
            break
        fn.body = found
        ast.fix_missing_locations(tree)
        if WHILE in ast.unparse(fn) and "import torch._higher_order_ops" not in code:
            tree.body.insert(0, ast.Import(names=[ast.alias(name="torch._higher_order_ops")]))
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    raise CannotRewrite(f"line {line} is not an if or while inside a function or a method")
