"""Each mode's outputs and gradients against eager PyTorch, in the fields of the twin's badge
(``equivalent``, ``max_abs_diff_output``, ``max_abs_diff_grads``, ``message``), so the page
draws them with the same badge.

Both sides load the snippet afresh with the same seed, so they start from the same weights
and inputs; gradients are those of every named leaf that requires grad."""
from __future__ import annotations

from collections.abc import Callable

import torch

from explorer import snippet
from explorer.modes import snippet_module

Make = Callable[[snippet.Program], Callable[..., object]]
RTOL, ATOL = 1e-4, 1e-5  # float32, as the twin's badge: what two orders of summation differ by


def difference(a: torch.Tensor | None, b: torch.Tensor | None) -> tuple[float, bool]:
    """Largest |a - b| and whether they agree; a missing gradient counts as zeros."""
    if a is None and b is None:
        return 0.0, True
    a = torch.zeros_like(b) if a is None else a.detach().cpu()
    b = torch.zeros_like(a) if b is None else b.detach().cpu()
    if a.shape != b.shape:
        return float("inf"), False
    if not (a.is_floating_point() and b.is_floating_point()):
        return float((a.double() - b.double()).abs().max()) if a.numel() else 0.0, \
            bool(torch.equal(a, b))
    gap = (a.double() - b.double()).abs()
    gap = torch.where(a.isnan() & b.isnan(), torch.zeros_like(gap),
                      torch.where(gap.isnan(), torch.full_like(gap, float("inf")), gap))
    return (float(gap.max()) if gap.numel() else 0.0,
            bool(torch.allclose(a.double(), b.double(), RTOL, ATOL, equal_nan=True)))


def _grads(program: snippet.Program, outputs: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    leaves = [leaf for leaf in program.leaves() if leaf.tensor.requires_grad]
    wanted = [o.sum() for o in outputs if o.requires_grad]
    if not wanted or not leaves:
        return {}
    total = torch.stack(wanted).sum() if len(wanted) > 1 else wanted[0]
    grads = torch.autograd.grad(total, [leaf.tensor for leaf in leaves], allow_unused=True)
    return {leaf.name: g for leaf, g in zip(leaves, grads)}


def run(code: str, seed: int, device: str, make: Make | None = None
        ) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    """Outputs and gradients of one fresh load of ``code`` through ``make`` (eager: None)."""
    program = snippet.load(code, seed=seed, device=device)
    with snippet_module(program.namespace):
        fn = make(program) if make else program.forward
        try:
            result = fn(*program.args)
        except snippet.SnippetError:
            raise
        except Exception as exc:
            raise snippet.as_user_error(exc, "forward") from None
    outputs = snippet.output_tensors(result)
    return outputs, _grads(program, outputs)


def against_eager(code: str, seed: int, device: str, make: Make,
                  eager: tuple | None = None, mode_code: str | None = None,
                  constants: tuple[str, ...] = ()) -> dict:
    """The badge's fields; ``mode_code`` runs instead of ``code`` on the mode's side (the
    torch.cond rewrite), its leaves named as the original's are. ``constants``: leaves the
    mode holds as constants (torch.export's module-level tensors), named, not compared."""
    ref_out, ref_grads = eager or run(code, seed, device)
    try:
        outs, grads = run(mode_code or code, seed, device, make)
    except snippet.SnippetError as err:
        return {"status": "error", "equivalent": False, "message": err.message}
    if len(outs) != len(ref_out):
        return {"status": "ok", "equivalent": False, "max_abs_diff_output": float("inf"),
                "max_abs_diff_grads": 0.0,
                "message": f"{len(outs)} outputs against eager's {len(ref_out)}"}
    out_gap, grad_gap, ok, differing = 0.0, 0.0, True, []
    for a, b in zip(outs, ref_out):
        gap, same = difference(a, b)
        out_gap, ok = max(out_gap, gap), ok and same
    checked = sorted((set(grads) & set(ref_grads)) - set(constants))
    for name in checked:
        a, b = grads[name], ref_grads[name]
        gap, same = difference(a, b)
        grad_gap = max(grad_gap, gap)
        if not same:
            ok = False
            differing.append(name)
    held = sorted(set(ref_grads) & set(constants))
    unchecked = sorted(set(ref_grads) - set(grads) - set(held))
    message = (f"outputs and the gradients of {', '.join(checked) or 'no leaf'} compared"
               + (f"; held as constants, so without gradient: {', '.join(held)}" if held
                  else "")
               + (f"; not compared: {', '.join(unchecked)}" if unchecked else "")
               + (f"; differing: {', '.join(differing)}" if differing else ""))
    return {"status": "ok", "equivalent": ok, "max_abs_diff_output": out_gap,
            "max_abs_diff_grads": grad_gap, "checked": checked, "unchecked": unchecked + held,
            "message": message}
