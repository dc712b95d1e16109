"""The twin check: one snippet run in PyTorch and as its tf.function twin on the same numbers,
outputs and gradients compared, and the static graph captured. Imported lazily (TensorFlow).
"""
from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass

import numpy as np

from explorer import snippet
from explorer.capture import tf as capture_tf
from explorer.graph import Graph
from explorer.twin import rewrite as twin_rewrite
from explorer.twin import run as twin_run
from explorer.twin import torch_side
from explorer.twin.limits import REASONS, NoTwin, classify

RTOL, ATOL = 1e-4, 1e-5  # float32: what two orders of summation may differ by
STDOUT_LIMIT = 20_000    # characters of what the twin printed while tracing
RANDOM_OPS = ("RandomStandardNormal", "RandomUniform", "RandomUniformInt", "StatelessRandom")
DROPOUT_NOTE = (
    "Dropout ran in training mode. Its random masks come from torch's generator, which "
    "TensorFlow cannot reproduce, so the check ran both sides with dropout keeping every unit "
    "(as p=0); the TF graph shows the real dropout ops.")


def summary(outputs: list[np.ndarray]) -> dict:
    items = [capture_tf.value_summary(o) for o in outputs]
    return items[0] if len(items) == 1 else {"items": items}


def difference(a: np.ndarray | None, b: np.ndarray | None) -> tuple[float, bool]:
    """Largest |a - b| and whether they agree within float32 tolerance; a missing gradient
    (None: not connected) counts as zeros, as torch's ``.grad is None`` does."""
    if a is None and b is None:
        return 0.0, True
    a = np.zeros_like(b) if a is None else np.asarray(a)
    b = np.zeros_like(a) if b is None else np.asarray(b)
    if a.shape != b.shape:
        return float("inf"), False
    if a.dtype.kind not in "fc" or b.dtype.kind not in "fc":
        gap = np.abs(a.astype(np.float64) - b.astype(np.float64))
        return float(np.max(gap, initial=0.0)), bool(np.array_equal(a, b))
    both_nan = np.isnan(a) & np.isnan(b)
    gap = np.where(both_nan, 0.0, np.abs(a.astype(np.float64) - b.astype(np.float64)))
    gap = np.where(np.isnan(gap), np.inf, gap)
    return float(np.max(gap, initial=0.0)), bool(np.allclose(a, b, RTOL, ATOL, equal_nan=True))


def _number(x: float) -> float | str:
    return x if np.isfinite(x) else str(x)


VALUES_LIMIT = 10_000  # gradients with more elements travel as norms only


def _gradient(g: np.ndarray | None) -> dict:
    """A gradient for the page: its norm, and its values when small enough to draw."""
    if g is None:
        return {"norm": None, "values": None}
    g = np.asarray(g, dtype=np.float64)
    return {"norm": _number(float(np.linalg.norm(g))),
            "values": np.nan_to_num(g).tolist() if g.size <= VALUES_LIMIT else None}


def verdict(torch_run: torch_side.TorchRun, outputs: list[np.ndarray],
            grads: dict[str, np.ndarray | None], random_ops: bool) -> dict:
    """The check fields: equivalent, largest differences, per-gradient detail, a message."""
    notes: list[str] = []
    out_gaps = [difference(a, b) for a, b in zip(torch_run.outputs, outputs)]
    same_count = len(outputs) == len(torch_run.outputs)
    if not same_count:
        notes.append(f"forward returns {len(torch_run.outputs)} tensor(s) in torch but "
                     f"{len(outputs)} in TensorFlow.")
    for i, (a, b) in enumerate(zip(torch_run.outputs, outputs)):
        if a.shape != b.shape:
            notes.append(f"Output {i} has shape {list(a.shape)} in torch, {list(b.shape)} in TF.")
    grad_gaps = {path: difference(g, grads.get(path)) for path, g in torch_run.grads.items()}
    grad_rows = [{"name": path, "max_abs_diff": _number(gap), "close": close,
                  "torch": _gradient(torch_run.grads[path]), "tf": _gradient(grads.get(path))}
                 for path, (gap, close) in grad_gaps.items()]
    outputs_ok = same_count and all(close for _, close in out_gaps)
    grads_ok = all(close for _, close in grad_gaps.values()) and torch_run.backward_error is None
    max_out = max((gap for gap, _ in out_gaps), default=0.0)
    max_grad = max((gap for gap, _ in grad_gaps.values()), default=0.0)
    if torch_run.backward_error:
        notes.append("torch's backward failed, so there are no gradients to compare: "
                     + torch_run.backward_error["message"])
    worst = [row["name"] for row in grad_rows if not row["close"]]
    if worst:
        notes.append(f"Gradients differ for {', '.join(worst[:5])}.")
    if not outputs_ok and random_ops:
        notes.append("forward draws random numbers, and torch and TensorFlow have different "
                     "random generators, so their values cannot agree.")
    equivalent = outputs_ok and grads_ok
    compared = (f"outputs and the gradients of {len(grad_rows)} tensor(s)" if grad_rows else
                "outputs (nothing requires grad, so there are no gradients)")
    head = (f"Equivalent: {compared} agree within float32 tolerance (rtol={RTOL:g}, "
            f"atol={ATOL:g}); largest differences: output {max_out:.2g}, gradients "
            f"{max_grad:.2g}." if equivalent else
            f"Not equivalent (rtol={RTOL:g}, atol={ATOL:g}): largest differences: output "
            f"{max_out:.3g}, gradients {max_grad:.3g}.")
    if torch_run.second_pass:
        notes.append(torch_side.SECOND_PASS)
    elif torch_run.dropout:
        notes.append(DROPOUT_NOTE)
    return {"equivalent": equivalent, "max_abs_diff_output": _number(max_out),
            "max_abs_diff_grads": _number(max_grad), "grads": grad_rows,
            "tolerance": {"rtol": RTOL, "atol": ATOL},
            "message": " ".join([head, *notes])}


def _failure(err: twin_run.TwinError, code: str, text: str, generated: bool,
             translation: twin_rewrite.Translation | None, torch_json: dict) -> dict:
    """TensorFlow refused: for generated code, the lesson of what has no twin; for code the
    user edited, an error on their TF line."""
    reason, construct = classify(err.message)
    detail = err.message.splitlines()[0][:300] if err.message else None
    if not generated:
        lines = text.splitlines()
        hint = REASONS[reason] if reason != "trace_error" else None
        return {"status": "error", "source": "tf_code", "line": err.line,
                "message": f"{f'line {err.line}: ' if err.line else ''}{err.error_type}: "
                           f"{err.message[:2000]}",
                "source_line": lines[err.line - 1] if err.line and err.line <= len(lines) else None,
                "hint": hint, "error_type": err.error_type, "torch": torch_json, "tf_code": text}
    line = err.line
    if reason == "recursion" and translation and translation.recursive:
        inside = [r for r in translation.recursive if r.first <= (line or 0) <= r.last]
        recursion = (inside or translation.recursive)[0]
        line = recursion.call
        construct = (f"recursion whose depth depends on tensor values ({recursion.name} "
                     "calls itself)")
        detail = None
    user_lines = code.splitlines()
    source = user_lines[line - 1] if line and line <= len(user_lines) else None
    return {**NoTwin(construct, reason, line, source, detail).to_json(), "torch": torch_json,
            "tf_code": text}


@dataclass
class TwinRun:
    """What the TF side produced: the graph to show, AutoGraph's code, outputs, gradients."""

    graph: Graph
    autograph: str
    outputs: list[np.ndarray]
    grads: dict[str, np.ndarray | None]
    missing: list[str]


def run_twin(text: str, torch_run: torch_side.TorchRun, seed: int, timings: dict,
             on_graph=None) -> TwinRun:
    """Load, trace, capture, then run under a GradientTape; raises TwinError. Captured
    before the tape runs, which rewrites the branch functions for the gradient.
    ``on_graph(graph, autograph_code, timings)`` hears of the graph as soon as it is
    captured, before the check (the tape of a long unrolled loop can outlast the run)."""
    clock = time.perf_counter()
    side = twin_run.load_tf(text, torch_run, seed)
    function, concrete = twin_run.trace(side, identity_dropout=torch_run.dropout)
    timings["trace_s"], clock = time.perf_counter() - clock, time.perf_counter()
    shown_outputs = None
    if torch_run.dropout:  # the picture shows the real dropout; the check runs without it
        shown_function, concrete = twin_run.trace(side)
        state = [variable.numpy() for variable, _ in side.variables]
        shown_outputs = [o.numpy() for o in twin_run.outputs_of(shown_function(*side.inputs))]
        for (variable, _), value in zip(side.variables, state):  # BatchNorm's statistics
            variable.assign(value)  # move once, in the checked run, as torch's did
    graph = capture_tf.capture(concrete, side.input_names, side.variables, twin_run.TWIN_FILE)
    autograph = twin_run.autograph_code(side.namespace)
    timings["capture_s"], clock = time.perf_counter() - clock, time.perf_counter()
    if on_graph is not None:
        on_graph(graph, autograph, timings)
        clock = time.perf_counter()
    outputs, grads = twin_run.run_tape(function, side, torch_run.differentiable)
    timings["tape_s"] = time.perf_counter() - clock
    capture_tf.set_outputs(graph, shown_outputs or outputs)
    return TwinRun(graph, autograph, outputs, grads, side.missing)


def compare(code: str, seed: int = 0, device: str = "cpu", tf_code: str | None = None,
            torch_run: torch_side.TorchRun | None = None, on_graph=None) -> dict:
    """Run ``code`` as its TF twin (``tf_code`` when the user edited it) on the numbers of
    ``torch_run`` (the drawn run; by default a run of its own), compare outputs and
    gradients, capture the static graph. Returns the check JSON with ``status`` ok, the
    no-twin lesson (``status`` no-twin) or the user's error."""
    clock = time.perf_counter()
    try:
        torch_run = torch_run or torch_side.run_torch(code, seed=seed, device=device)
    except snippet.SnippetError as err:
        return err.to_json()
    torch_json = {"output": summary(torch_run.outputs),
                  "run": "second pass" if torch_run.second_pass else "drawn"}
    timings = {"torch_s": time.perf_counter() - clock}
    clock, translation = time.perf_counter(), None
    if tf_code is None:
        try:
            translation = twin_rewrite.translate(code)
        except NoTwin as no_twin:
            return {**no_twin.to_json(), "torch": torch_json, "missing": _missing(code)}
    text = translation.code if translation else tf_code
    timings["translate_s"] = time.perf_counter() - clock
    printed = io.StringIO()  # the twin's prints, apart: tracing runs both arms' Python code
    try:
        with contextlib.redirect_stdout(printed):
            twin = run_twin(text, torch_run, seed, timings, on_graph)
    except Exception as exc:  # TensorFlow's refusal (TwinError), or whatever the TF code raised
        err = exc if isinstance(exc, twin_run.TwinError) else twin_run.twin_error(exc)
        return {**_failure(err, code, text, tf_code is None, translation, torch_json),
                "tf_stdout": printed.getvalue()[:STDOUT_LIMIT]}
    random_ops = any(n.op.startswith(RANDOM_OPS) for n in _all_nodes(twin.graph))
    result = {"status": "ok", "graph": twin.graph.to_json(), "tf_code": text,
              "autograph_code": twin.autograph, "torch": torch_json,
              "tf": {"output": summary(twin.outputs)},
              **verdict(torch_run, twin.outputs, twin.grads, random_ops),
              "tf_stdout": printed.getvalue()[:STDOUT_LIMIT], "timings": timings}
    if twin.missing:
        result["message"] += (" The TF code has nothing at " + ", ".join(twin.missing[:5])
                              + " to take the torch run's values, so it kept its own there.")
    return result


def _missing(code: str) -> list[dict]:
    """Every construct of ``code`` without a rule (the first is the message), each with its
    line: what a user would have to write by hand, all at once."""
    return [{key: item.to_json()[key] for key in ("line", "construct", "reason", "source_line")}
            for item in twin_rewrite.missing(code)]


def _all_nodes(graph: Graph) -> list:
    nodes, stack = [], [graph]
    while stack:
        g = stack.pop()
        nodes.extend(g.nodes)
        stack.extend(g.subgraphs.values())
    return nodes
