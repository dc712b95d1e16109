"""A spare worker's warm-up on the jobs' own code: the explore job (what the explorer page
runs) on a built-in snippet, so that the first run on a spare does not pay for the capture's
and the twin's first uses. The sandbox runs it after the spare is confined (``JobTable``).

``lessons``: what a server computes once at its start so that its cache holds them: each
lesson as the explorer page first runs it (its code, seed 0, the CPU)."""
from __future__ import annotations

# A module, a loop, and an ``if`` on a tensor, so that the twin's AutoGraph makes a While
# and a cond.
SNIPPET = '''import torch
import torch.nn as nn

layer = nn.Linear(3, 3)


def inputs():
    return (torch.ones(2, 3),)


def forward(x):
    h = torch.tanh(layer(x))
    for _ in range(2):
        h = h * 0.5
    if h.sum() > 0:
        h = h + 1.0
    else:
        h = h - 1.0
    return h.sum()
'''


def explore() -> None:
    """Run the explore job once on ``SNIPPET``; raises when it or its twin did not succeed."""
    from explorer.jobs import explore as job

    result = job.run({"code": SNIPPET, "seed": 0})
    twin = result.get("twin", {})
    if result.get("status") != "ok" or twin.get("status") != "ok":
        raise RuntimeError(f"explore: {result.get('message') or twin.get('message')}")


def lessons() -> list[tuple[str, dict]]:
    """The explorer page's request for each lesson at its default settings (the page sends
    ``{"code", "seed", "device"}``; seed 0 and the CPU are its defaults)."""
    from explorer import lessons as course

    return [("explore", {"code": lesson.code, "seed": 0, "device": "cpu"})
            for lesson in course.all_lessons()]


# -- the template's warm-up: once, before it forks -----------------------------------------
# Dynamo's first compile in a process costs about 1 s beyond the next (its tables of torch's
# functions, the variable trackers, the guards' builders, sympy), torch.export's about 0.5 s:
# paid once by the template, every worker forked from it starts with them warm (copy on
# write). Only what runs no kernel: tensors on the "meta" device (shapes, no data), so no
# thread pool starts, no random number is drawn and no autograd node is made (none needs a
# gradient). Dynamo's caches are emptied after (``fresh_dynamo``): no compiled frame, guard
# or graph of ours reaches a worker, only the first-use state.


def _meta(*shape: int):
    import torch

    return torch.ones(*shape, device="meta")


def _compiled_forward(x):
    """What a lesson compiles: a module, a loop Dynamo unrolls, a graph break."""
    import torch

    h = torch.tanh(_META_LAYER[0](x))
    for _ in range(2):
        h = h * 0.5
    torch._dynamo.graph_break()
    return (h + 1.0).sum()


_META_LAYER: list = []  # the module _compiled_forward calls, made on the meta device


def dynamo() -> None:
    """torch.compile with the modes' recording backend: two graphs and the break between."""
    import torch

    from explorer.modes import compile as mode

    _META_LAYER[:] = [torch.nn.Linear(3, 3, device="meta")]
    recorder = mode.Recorder()
    try:
        with mode.fresh_dynamo():
            recorder.compile(_compiled_forward)(_meta(2, 3))
    finally:
        _META_LAYER.clear()
    if len(recorder.graphs) != 2 or len(recorder.break_reasons) != 1:
        raise RuntimeError(f"dynamo: {len(recorder.graphs)} graphs, "
                           f"{len(recorder.break_reasons)} breaks (expected 2 and 1)")


class _Branches:
    """Built on first use (torch.nn is not imported by this module's import)."""

    @staticmethod
    def module(refused: bool):
        import torch

        class Branches(torch.nn.Module):
            def forward(self, x):
                if refused:  # the ``if`` on a tensor that torch.export refuses
                    return x * 2.0 if x.sum() > 0 else x - 1.0
                return torch.cond(x.sum() > 0, lambda v: v * 2.0, lambda v: v - 1.0, (x,))

        return Branches()


def export() -> None:
    """torch.export of a ``torch.cond`` (one graph, two branch subgraphs) and of the ``if`` it
    refuses (the refusal's own path: symbolic shapes' data-dependent guard)."""
    import torch

    from explorer.modes import export as mode

    with mode.quiet():
        program = torch.export.export(_Branches.module(False), (_meta(2, 3),))
        try:
            torch.export.export(_Branches.module(True), (_meta(2, 3),))
        except Exception:  # noqa: BLE001 - the refusal is the point
            refused = True
        else:
            refused = False
    if "cond" not in str(program.graph) or not refused:
        raise RuntimeError("export: the cond did not export, or the tensor's if did")


def _scripted(x, n: int):
    for _ in range(n):
        x = x * 0.5
    if n > 1:
        x = x + 1.0
    return x


def torchscript() -> None:
    """torch.jit.script's compiler on a loop and an ``if`` (prim::Loop, prim::If)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its deprecation: the modes view tells it
        graph = str(torch.jit.script(_scripted).graph)
    if "prim::Loop" not in graph or "prim::If" not in graph:
        raise RuntimeError("torchscript: no prim::Loop or prim::If in the scripted graph")


TEMPLATE_STEPS = (("dynamo", dynamo), ("export", export), ("torchscript", torchscript))
