"""Gradient check against central finite differences, in float64.

What a student can redo by hand: nudge one number of a parameter by ``+eps`` and ``-eps``,
run forward again, and the slope ``(f(p + eps) - f(p - eps)) / (2 eps)`` should match the
gradient autograd computed. Choices, and why:

- float64: in float32 the rounding error of ``f`` divided by ``2 eps`` swamps the slope;
  in float64 ``eps = 1e-6`` leaves about 1e-10 of rounding error and 1e-12 of truncation.
- The same point as the live run: the snippet is reloaded with the same seed and the same
  edits, then every floating leaf is converted in place (``t.data = t.data.double()``, so
  every name the snippet holds still points at it), and tensors forward creates are
  float64 too (default dtype). Every evaluation reseeds, so randomness inside forward is
  the same noise each time.
- ``f`` is what the live run differentiates: the sum of every output that requires grad.
- Verdict as ``torch.autograd.gradcheck`` judges: ``|autograd - numeric| <= atol + rtol *
  |numeric|`` for every checked element, with its defaults (eps 1e-6, atol 1e-5, rtol 1e-3).
- Cost: two forward passes per element, so at most ``per_leaf`` elements of each leaf are
  checked (chosen by a generator seeded with the run's seed: the same every time), at most
  ``max_elements`` in all, and the check stops at ``budget_s`` saying how far it got.
- The verdict covers the leaves autograd reached; one it never reached (``detach``,
  ``no_grad``) that still moves ``f`` is listed in ``cut`` instead (see ``_summarise``).
- A data-dependent branch may flip inside ``[p - eps, p + eps]``; the slope is then not a
  derivative and the element fails, which is the honest answer for that point.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from explorer import snippet
from explorer.gradients.edits import Edits, edit_error
from explorer.gradients.leaves import grad_leaves
from explorer.gradients.stats import json_number


@dataclass(frozen=True)
class CheckOptions:
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    per_leaf: int = 16
    max_elements: int = 256
    budget_s: float = 3.0

    @classmethod
    def from_request(cls, value: object) -> CheckOptions:
        """``gradcheck: true``, or a dict overriding some of the fields above."""
        if not isinstance(value, dict):
            return cls()
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise edit_error(f"Unknown gradcheck option(s) {sorted(unknown)}; known: "
                             f"{sorted(cls.__dataclass_fields__)}.")
        try:
            return cls(**{k: type(getattr(cls, k))(v) for k, v in value.items()})
        except (TypeError, ValueError) as err:
            raise edit_error(f"Bad gradcheck option: {err}") from None


def _to_float64(program: snippet.Program) -> None:
    """Every floating tensor the snippet named, converted in place (identity kept)."""
    named = list(program.module_tensors()) + list(program.input_tensors())
    with torch.no_grad():
        for _, t in named:
            if t.is_floating_point() and t.dtype != torch.float64:
                t.data = t.data.double()


def _objective(program: snippet.Program, mask: list[bool]) -> torch.Tensor:
    """The scalar the live run differentiates, from a freshly seeded forward."""
    snippet.seed_everything(program.seed)
    outputs = program.run_forward()
    total = torch.zeros((), dtype=torch.float64, device=program.device)
    for out, keep in zip(outputs, mask):
        if keep:
            total = total + out.sum()
    return total


def _sample(numel: int, count: int, seed: int) -> list[int]:
    """Flat indices to check: all of them, or ``count`` drawn the same way every time."""
    if numel <= count:
        return list(range(numel))
    generator = torch.Generator().manual_seed(seed)
    return sorted(torch.randperm(numel, generator=generator)[:count].tolist())


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major flat index -> index tuple (``torch.unravel_index`` imports sympy: 0.4 s)."""
    index = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        index.append(i)
    return tuple(reversed(index))


def check(text: str, seed: int, device: str, edits: Edits,
          options: CheckOptions = CheckOptions()) -> dict:
    """Autograd against central differences on sampled elements of every leaf with a grad."""
    start = time.perf_counter()
    program = snippet.load(text, seed=seed, device=device)  # float32, as the live run
    edits.apply(program)
    _to_float64(program)
    # A complex leaf has two real directions per element and autograd returns the conjugate
    # Wirtinger derivative; one real nudge cannot check that, so it is skipped, by name.
    leaves = [l for l in grad_leaves(program) if not l.tensor.is_complex()]
    report: dict = {"leaves": {}, "eps": options.eps, "atol": options.atol,
                    "rtol": options.rtol, "dtype": "float64", "complete": True,
                    "skipped": [l.name for l in grad_leaves(program) if l.tensor.is_complex()]}
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # tensors forward creates match the leaves
    try:
        mask = [o.requires_grad for o in program.run_forward()]
        f = _objective(program, mask)
        if not f.requires_grad or not leaves:
            return _summarise(report, time.perf_counter() - start)
        grads = torch.autograd.grad(f, [l.tensor for l in leaves], allow_unused=True)
        per_leaf = max(1, min(options.per_leaf, options.max_elements // len(leaves)))
        for k, (leaf, grad) in enumerate(zip(leaves, grads)):
            t = leaf.tensor
            reached = grad is not None
            grad = torch.zeros_like(t) if grad is None else grad
            rows = []
            for flat in _sample(t.numel(), per_leaf, seed + k):
                if time.perf_counter() - start > options.budget_s:
                    report["complete"] = False
                    break
                index = _unravel(flat, tuple(t.shape))
                numeric = _slope(program, mask, t, index, options.eps)
                rows.append((list(index), float(grad[index]), numeric))
            report["leaves"][leaf.name] = {**_verdict(rows, t.numel(), options),
                                           "reached": reached}
    finally:
        torch.set_default_dtype(previous)
    return _summarise(report, time.perf_counter() - start)


def _slope(program: snippet.Program, mask: list[bool], t: torch.Tensor, index: tuple,
           eps: float) -> float:
    with torch.no_grad():
        original = t[index].item()
        try:
            t[index] = original + eps
            up = _objective(program, mask).item()
            t[index] = original - eps
            down = _objective(program, mask).item()
        finally:
            t[index] = original
    return (up - down) / (2 * eps)


def _verdict(rows: list[tuple[list[int], float, float]], numel: int,
             options: CheckOptions) -> dict:
    """Errors of one leaf; ``worst`` is the element nearest to failing (or furthest past).
    ``ok`` is None when nothing was checked (the time budget ran out first)."""
    worst, worst_ratio, max_abs, max_rel, ok = None, -1.0, 0.0, 0.0, True
    for index, analytic, numeric in rows:
        error = abs(analytic - numeric)
        if not math.isfinite(error):
            error = math.inf  # NaN compares false with everything: count it as the worst
        allowed = options.atol + options.rtol * abs(numeric)
        scale = max(abs(analytic), abs(numeric))
        max_abs = max(max_abs, error)
        max_rel = max(max_rel, error / scale if scale else 0.0)
        ok = ok and error <= allowed
        if error / allowed > worst_ratio:
            worst_ratio = error / allowed
            worst = {"index": index, "autograd": json_number(analytic),
                     "numeric": json_number(numeric)}
    return {"ok": ok if rows else None, "checked": len(rows), "elements": numel,
            "max_abs_error": json_number(max_abs), "max_rel_error": json_number(max_rel),
            "worst": worst}


def _summarise(report: dict, elapsed: float) -> dict:
    """The verdict over the leaves autograd reached: ok when every checked one is.

    A leaf autograd never reached (behind ``detach`` or ``no_grad``) whose nudges still move
    ``f`` is named in ``cut``: the graph has no path to it. That is a lesson, not a wrong
    gradient, so it stays out of the verdict and of the error maxima."""
    reached = [l for l in report["leaves"].values() if l["reached"]]
    verdicts = [l["ok"] for l in reached if l["ok"] is not None]
    errors = {key: [float(l[key]) for l in reached] for key in ("max_abs_error", "max_rel_error")}
    report.update(ok=all(verdicts) if verdicts else None,
                  cut=[name for name, l in report["leaves"].items()
                       if not l["reached"] and l["ok"] is False],
                  checked=sum(l["checked"] for l in report["leaves"].values()),
                  elements=sum(l["elements"] for l in report["leaves"].values()),
                  **{key: json_number(max(v, default=0.0)) for key, v in errors.items()},
                  elapsed_s=elapsed)
    return report
