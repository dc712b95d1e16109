"""The warm-up of a spare worker: our own code only, run after the spare is fully confined and
before its request, so that the run it will serve does not pay TensorFlow's and torch's
first-use costs (the eager context and its thread pools, AutoGraph's converter and caches,
Grappler, the first trace and gradient, torch's autograd engine and its pools; about 0.1 to
0.3 s of a first run).

Nothing here is user data, and nothing of it can reach a later user: a spare serves one run and
exits. It leaves no file in the run's temp folder, no record in the channel, no trace function.
It runs on a thread of its own, which ends before the request: what torch keeps per thread
(autograd's count of the nodes a thread created, shown as "created #n in the forward pass")
starts for the run's thread from zero, as in a worker forked for its run.
"""
from __future__ import annotations

import gc
import os
import sys
import threading
import time


def _branchy(x):
    """Converted by AutoGraph: the ``if`` on a tensor becomes a cond, the loops While ops."""
    import tensorflow as tf

    if tf.reduce_sum(x) > 0:
        y = x * 2.0
    else:
        y = x - 1.0
    for _ in tf.range(2):
        y = tf.tanh(y)
    return tf.reduce_sum(y * y)


def _tensorflow() -> None:
    import tensorflow as tf

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.function(_branchy)(x)
    tape.gradient(out, x)


def _torch_no_grad() -> None:
    """torch's per-thread first uses that make no autograd node (which would count)."""
    import torch

    with torch.no_grad():
        torch.nn.functional.linear(torch.ones(2, 3), torch.ones(3, 3)).relu().sum()


def _torch() -> None:
    import torch

    w = torch.ones(3, 3, requires_grad=True)
    torch.nn.functional.linear(torch.ones(2, 3), w).relu().sum().backward()


# On the run's own thread: what leaves no trace a user could see (TensorFlow's per-thread
# eager state is warmed there too). On a helper thread: everything that makes autograd nodes.
MAIN_STEPS = (("tensorflow", _tensorflow), ("torch no_grad", _torch_no_grad))
THREAD_STEPS = (("torch", _torch),)


def _steps(todo, steps: dict) -> None:
    for name, step in todo:
        begun = time.perf_counter()
        try:
            step()
            steps[name] = round(time.perf_counter() - begun, 3)
        except Exception as exc:  # noqa: BLE001 - a warm-up failure only costs speed
            steps[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
    sys.settrace(None)


class _RandomState:
    """The random generators as the template left them, put back after the warm-up (whose
    jobs seed them): a run on a spare starts from the state a forked worker would have."""

    def __init__(self) -> None:
        import random

        import torch
        from tensorflow.python.eager import context

        self.python = random.getstate()
        self.torch = torch.get_rng_state()
        self.tf_seed = context.global_seed()
        numpy = sys.modules.get("numpy")
        self.numpy = numpy.random.get_state() if numpy is not None else None

    def restore(self) -> None:
        import random

        import tensorflow as tf
        import torch

        random.setstate(self.python)
        torch.set_rng_state(self.torch)
        tf.random.set_seed(self.tf_seed)
        if self.numpy is not None:
            sys.modules["numpy"].random.set_state(self.numpy)


def run(run_dir: str, job_steps: tuple = ()) -> dict:
    """Warm up, then run ``job_steps`` (the job table's own, on the helper thread); never
    raises. Returns ``{"ok", "s", "steps": {name: seconds or error},
    "sequence_nr"}`` (autograd's node count of this thread after it: 0)."""
    import torch

    from explorer.sandbox import channel

    start = time.perf_counter()
    before = set(os.listdir(run_dir))
    randomness = _RandomState()
    steps: dict[str, float | str] = {}
    _steps(MAIN_STEPS, steps)
    on_thread = THREAD_STEPS + tuple(job_steps)
    thread = threading.Thread(target=_steps, args=(on_thread, steps),
                              name="explorer-warm-up")
    thread.start()
    thread.join()
    for name, _step in on_thread:
        steps.setdefault(name, "failed: the warm-up thread ended early")
    randomness.restore()
    channel.kept.clear()
    for name in set(os.listdir(run_dir)) - before:  # AutoGraph's generated modules
        try:
            os.unlink(os.path.join(run_dir, name))
        except OSError:
            pass
    gc.collect()  # the warm-up's garbage, not the run's
    return {"ok": all(isinstance(v, float) for v in steps.values()),
            "s": round(time.perf_counter() - start, 3), "steps": steps,
            "sequence_nr": torch._C._autograd._get_sequence_nr()}
