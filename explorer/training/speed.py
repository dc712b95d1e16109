"""Steps per second of one training step four ways: torch eager, ``torch.compile``, TF eager
and ``tf.function``: the lessons' graph-versus-eager trade-off, measured on this model.

Each variant keeps training the run's model (after its final metrics were taken) for about a
second of bare steps, after warm-up steps that pay for tracing or compiling. ``torch.compile``
goes last and is time-boxed: Inductor may take tens of seconds, or fail where the sandbox
refuses to start the C++ compiler; either way the row says "not available" and why."""
from __future__ import annotations

import contextlib
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable
from typing import Any

MEASURE_S = 1.0          # timed seconds per variant, at least
WARMUP = 3               # untimed steps first: tracing, compiling, caches
COMPILE_TIMEOUT_S = 45.0
RESERVE_S = 5.0          # of the run's time budget, kept for the final record
TRAINING_RESERVE_S = 30.0  # training leaves this much of the budget to measuring speed:
# three variants' seconds, and Inductor's first compile (16 s on 2 cores for a small MLP)
REASONS = [  # what went wrong inside torch.compile -> words for the page
    (("compiler helper refused",), "the compiler helper refused a program Inductor asked "
     "for: it runs the C++ compiler and nothing else"),
    (("Operation not permitted", "PermissionError", "Errno 1]", "Errno 13]"),
     "the sandbox does not let a run start the C++ compiler that torch.compile's Inductor "
     "backend calls"),
    (("CppCompileError", "InvalidCxxCompiler", "gcc", "g++"),
     "Inductor could not compile its C++ code here"),
]


def _row(variant: str, **fields: Any) -> dict:
    return {"kind": "speed", "variant": variant, **fields}


def timed(variant: str, step: Callable[[int], Any], sync: Callable[[], None], first: int,
          seconds: float = MEASURE_S, setup_s: float | None = None) -> dict:
    """Warm up, then bare steps until ``seconds`` have passed; their rate."""
    clock = time.perf_counter()
    for k in range(WARMUP):
        step(first + k)
    sync()
    warmup_s = time.perf_counter() - clock
    count, clock = 0, time.perf_counter()
    while True:
        step(first + WARMUP + count)
        count += 1
        if count % 5 == 0 and time.perf_counter() - clock >= seconds:
            break
    sync()
    elapsed = time.perf_counter() - clock
    return _row(variant, status="ok", steps_per_s=round(count / elapsed, 2), steps=count,
                seconds=round(elapsed, 3), warmup_s=round(warmup_s, 3),
                setup_s=None if setup_s is None else round(setup_s, 3))


def reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    for needles, words in REASONS:
        if any(n in text for n in needles):
            return words
    return text.splitlines()[0][:300]


def compiled(trainer: Any, first: int, timeout: float, stop: Callable[[], bool],
             seconds: float = MEASURE_S) -> dict:
    """``torch.compile`` of the trainer's loss (forward and cross entropy; backward through
    AOTAutograd), run in a thread that is abandoned after ``timeout`` seconds. In a worker
    with the compiler helper, Inductor's compiler runs there (``inductor.helped``); in one
    without, the kernel refuses it; outside a worker (tests, benches) torch runs it."""
    import torch

    from explorer.sandbox import compiler
    from explorer.training.inductor import helped

    if compiler.missing():
        return _row("torch.compile", status="not available",
                    reason=f"torch.compile's Inductor needs a C++ compiler: {compiler.missing()}")
    box: dict = {}

    def work() -> None:
        # Dynamo imports the module of the globals it compiles by their __name__: the
        # snippet's, under a name of its own (a second run in one process gets another)
        name = f"__snippet_{uuid.uuid4().hex}__"
        trainer.program.namespace["__name__"] = name
        module = types.ModuleType(name)
        module.__dict__.update(trainer.program.namespace)
        sys.modules[name] = module
        clock = time.perf_counter()
        try:
            torch._dynamo.reset()  # guards of an earlier run's model must not meet this one
            trainer.loss_fn = torch.compile(trainer.loss)
            with helped() if compiler.available() else contextlib.nullcontext():
                trainer.step(first)  # compiles: forward, then backward through AOTAutograd
                trainer.sync()
            box["row"] = timed("torch.compile", trainer.step, trainer.sync, first + 1, seconds,
                               setup_s=time.perf_counter() - clock)
        except BaseException as exc:  # noqa: BLE001 - any failure means "not available"
            box["row"] = _row("torch.compile", status="not available", reason=reason(exc))
        finally:
            trainer.loss_fn = trainer.loss

    thread = threading.Thread(target=work, name="torch-compile", daemon=True)
    thread.start()
    deadline = time.perf_counter() + timeout
    while thread.is_alive() and time.perf_counter() < deadline and not stop():
        thread.join(0.1)
    if "row" in box:
        return box["row"]
    why = "stopped" if stop() else f"compiling took longer than {timeout:.0f} s"
    return _row("torch.compile", status="not available", reason=why)


def measure(run: Any, emit: Callable[[dict], None], seconds: float = MEASURE_S,
            compile_timeout: float = COMPILE_TIMEOUT_S) -> list[dict]:
    """A row per variant, each emitted as soon as it is measured."""
    rows: list[dict] = []
    first = max(run.done.values(), default=0)

    def add(row: dict) -> None:
        rows.append(row)
        emit(row)

    torch_side = run.torch
    torch_side.set_mode(torch_side.training)
    add(timed("torch eager", torch_side.step, torch_side.sync, first, seconds))
    tf_side = run.tf if run.tf is not None or run.twin["status"] != "not asked" \
        else run.build_tf()
    for variant, eager in (("TF eager", True), ("tf.function", False)):
        if run.stop():
            add(_row(variant, status="not available", reason="stopped"))
        elif tf_side is None:
            add(_row(variant, status="not available",
                     reason=run.twin.get("message", "no TF twin")))
        else:
            add(timed(variant, lambda s, e=eager: tf_side.step(s, eager=e), tf_side.sync,
                      first, seconds, setup_s=None if eager else tf_side.trace_s))
    budget = compile_timeout
    if run.config.time_budget_s is not None:
        left = run.config.time_budget_s - (time.perf_counter() - run.started) - RESERVE_S
        budget = min(budget, max(left, 0.0))
    if run.stop() or budget <= 0:
        add(_row("torch.compile", status="not available",
                 reason="stopped" if run.stop() else "no time left in this run"))
    else:
        add(compiled(torch_side, first, budget, run.stop, seconds))
    return rows
