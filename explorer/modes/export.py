"""``torch.export`` beside eager: the exported program's graph where it exports; where it
refuses, the reason in plain words and the same code rewritten with ``torch.cond`` /
``while_loop`` (``cond_rewrite``), exported in its turn, its branches as subgraphs, checked
against eager PyTorch on the original code.

``forward`` is a function; export wants a module, so a wrapper holds the module-level
``nn.Module``s as its submodules (their parameters keep the user's names: ``layer.weight``)."""
from __future__ import annotations

import contextlib
import io
import logging
import warnings

import torch

from explorer import snippet
from explorer.modes import check, cond_rewrite, explain, fx, snippet_module, why

MAX_REWRITES = 6  # refused statements rewritten, one after another


class Wrapper(torch.nn.Module):
    def __init__(self, program: snippet.Program) -> None:
        super().__init__()
        for name, module in program.modules():
            self.add_module(name, module)
        self._forward = program.forward

    def forward(self, *args):
        return self._forward(*args)


@contextlib.contextmanager
def quiet():
    """torch.export logs symbolic-shape warnings, warns and prints its partial graph to
    stderr when it refuses: not for users (the refusal is told in plain words)."""
    logging.disable(logging.CRITICAL)  # torch's loggers set their own levels: all of them
    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def export(program: snippet.Program) -> torch.export.ExportedProgram:
    with quiet(), snippet_module(program.namespace):
        return torch.export.export(Wrapper(program), program.args)


def names(ep: torch.export.ExportedProgram, program: snippet.Program) -> dict[str, str]:
    """Placeholder -> the user's name: parameters and buffers by path, inputs by argument."""
    sig = ep.graph_signature
    return {**sig.inputs_to_parameters, **sig.inputs_to_buffers,
            **dict(zip(sig.user_inputs, program.arg_names))}


def graph_of(ep: torch.export.ExportedProgram, program: snippet.Program) -> dict:
    sig = ep.graph_signature
    params = frozenset(sig.inputs_to_parameters) | frozenset(sig.inputs_to_buffers)
    return fx.to_graph(ep.graph_module, "export", names(ep, program), params=params).to_json()


def maker(ep: torch.export.ExportedProgram):
    """The mode's callable for a fresh load of the same code: ``ep`` as a module run on that
    program's own parameters (the wrapper's submodules are the user's modules), so gradients
    reach its leaves; the program is exported once, not again for the check."""
    def make(prog: snippet.Program):
        with quiet():
            module = ep.module()
        for name, value in Wrapper(prog).named_parameters():
            _set(module, name, value)
        return module
    return make


def _set(module: torch.nn.Module, path: str, value: torch.nn.Parameter) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        module = getattr(module, part, None)
        if module is None:
            return
    if leaf in getattr(module, "_parameters", {}):
        module._parameters[leaf] = value


def view(code: str, seed: int = 0, device: str = "cpu", export_code: str | None = None) -> dict:
    """The export view: the program, or the refusal with the torch.cond rewrite exported.
    ``export_code``: the user's edit of the rewrite, exported instead of ours."""
    eager = check.run(code, seed, device)
    program = snippet.load(code, seed=seed, device=device)
    try:
        ep = export(program)
    except Exception as exc:
        refusal = explain.failure("export", code, exc)
    else:
        badge = check.against_eager(code, seed, device, maker(ep), eager,
                                    constants=constants(program))
        return {"status": "ok", "mode": "export", "graph": graph_of(ep, program),
                "ops": ops(ep), "check": why.annotate("export", code, badge),
                "note": explain.EXPORT_NOTE}
    result = {**refusal, "note": explain.EXPORT_NOTE}
    rewritten, problem, exported = ((export_code, None, None) if export_code
                                    else _rewrite(code, refusal, seed, device))
    if problem:
        return {**result, "rewrite_problem": problem}
    result["cond_code"] = rewritten
    try:
        program, ep = exported or _export_text(rewritten, seed, device)
    except snippet.SnippetError as err:
        return {**result, "rewrite_problem": err.message}
    except Exception as exc:
        again = explain.failure("export", rewritten, exc)
        snippet.compile_snippet(code)  # the user's code is the snippet again, for its lines
        return {**result, "rewrite_problem": again["message"]}
    snippet.compile_snippet(code)
    badge = check.against_eager(code, seed, device, maker(ep), eager, mode_code=rewritten,
                                constants=constants(program))
    return {**result, "rewrite": {"status": "ok", "graph": graph_of(ep, program), "ops": ops(ep),
                                  "check": why.annotate("export", rewritten, badge)}}


def _export_text(text: str, seed: int, device: str) -> tuple[snippet.Program, object]:
    program = snippet.load(text, seed=seed, device=device)
    return program, export(program)


def _rewrite(code: str, refusal: dict, seed: int, device: str) -> tuple:
    """Rewrite each refused statement in turn until the code exports (or cannot be helped):
    the text, the reason it cannot, and the (program, exported program) once it exports."""
    text, line, done = code, refusal.get("line"), set()
    for _ in range(MAX_REWRITES):
        if line is None or line in done:
            break
        try:
            text = cond_rewrite.rewrite(text, line)
        except (cond_rewrite.CannotRewrite, SyntaxError) as err:
            return None, str(err), None
        done.add(line)
        try:
            return text, None, _export_text(text, seed, device)
        except snippet.SnippetError as err:
            return None, err.message, None
        except Exception as exc:
            line = explain.failure("export", text, exc).get("line")
    snippet.compile_snippet(code)
    return text, None, None


def constants(program: snippet.Program) -> tuple[str, ...]:
    """Module-level tensors that require grad outside any nn.Module: export lifts them into
    the program as constants (it warns "not properly registered as a parameter")."""
    return tuple(name for name, value in program.namespace.items()
                 if isinstance(value, torch.Tensor) and value.requires_grad)


def ops(ep: torch.export.ExportedProgram) -> list[str]:
    """The exported program's call_function targets, in graph order, subgraphs included."""
    found = []
    for gm in ep.graph_module.modules():
        if isinstance(gm, torch.fx.GraphModule):
            found.extend(fx.op_name(n) for n in gm.graph.nodes if n.op == "call_function")
    return found
