"""Do the two frameworks' curves agree, and where do they part? From the metrics records of a
run (the page's copy or the job's), so it is pure Python: the page imports it."""
from __future__ import annotations

import math

FIRST_STEPS = 20     # "the first steps": records up to this step
AGREE_RTOL = 1e-4    # float32 arithmetic in two orders: what counts as the same loss
DIVERGE_RTOL = 0.01  # a relative gap a viewer can see on the chart: where they part


def _gap(a: float | None, b: float | None) -> tuple[float, float] | None:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    gap = abs(a - b)
    return gap, gap / max(abs(a), abs(b), 1e-12)


def agreement(torch_records: list[dict], tf_records: list[dict], dropout: bool = False,
              first_steps: int = FIRST_STEPS) -> dict:
    """Loss differences at the steps both frameworks recorded: the largest over the first
    steps, the largest overall, the first step whose relative gap passes DIVERGE_RTOL, and a
    sentence that says so."""
    tf_by_step = {r["step"]: r for r in tf_records}
    rows = []
    for record in torch_records:
        other = tf_by_step.get(record["step"])
        gap = _gap(record.get("loss"), other.get("loss")) if other else None
        if gap is not None:
            rows.append((record["step"], *gap))
    if not rows:
        return {"compared": 0, "agree": None, "message": "No step has a loss from both "
                "frameworks to compare yet."}
    early = [r for r in rows if r[0] <= first_steps] or rows[:1]
    parted = next((step for step, _, rel in rows if rel > DIVERGE_RTOL), None)
    early_abs, early_rel = max(r[1] for r in early), max(r[2] for r in early)
    out = {"compared": len(rows), "first_steps": early[-1][0],
           "max_abs_first": early_abs, "max_rel_first": early_rel,
           "max_abs": max(r[1] for r in rows), "max_rel": max(r[2] for r in rows),
           "diverge_step": parted, "agree": early_rel <= AGREE_RTOL,
           "rtol": AGREE_RTOL, "diverge_rtol": DIVERGE_RTOL}
    out["message"] = _sentence(out, rows[-1][0], dropout)
    return out


def _sentence(out: dict, last: int, dropout: bool) -> str:
    head = (f"Over the first {out['first_steps']} steps the losses agree to "
            f"{out['max_rel_first']:.1e} (relative; largest gap {out['max_abs_first']:.2g})"
            if out["agree"] else
            f"Over the first {out['first_steps']} steps the losses already differ by up to "
            f"{out['max_rel_first']:.1%} (largest gap {out['max_abs_first']:.3g})")
    if out["diverge_step"] is None:
        tail = (f"; they stay within {DIVERGE_RTOL:.0%} of each other up to step {last} "
                f"(largest gap {out['max_abs']:.3g}).")
    else:
        tail = (f"; from step {out['diverge_step']} they differ by more than "
                f"{DIVERGE_RTOL:.0%} (largest gap {out['max_abs']:.3g}, "
                f"{out['max_rel']:.1%}).")
    why = ""
    if dropout:
        why = (" Dropout is on (train mode): torch and TensorFlow draw different random "
               "masks, so the steps are not the same computation; eval mode turns it off.")
    elif out["diverge_step"] is not None:
        why = (" Same weights, batches and formulas: float32 rounding, summed in a different "
               "order by each framework, grows step by step until the paths part.")
    return head + tail + why
