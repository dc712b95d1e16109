"""The instrumented training loop: both frameworks, interleaved a record's worth of steps at a
time so their curves grow together, streaming a metrics record per framework every
``log_every`` steps (and a decision-boundary grid now and then), stopping early when asked
and keeping what was learned so far.

What a record costs the loop is bounded: a step returns tensors unread; the losses and the
counts of examples right of the steps since the last record are read at once, when it is
made."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from explorer.training import compare, metrics, presets
from explorer.training.config import TrainConfig
from explorer.training.data import DataSet, build

Emit = Callable[[dict], None]
CATCH_UP_S = 1.0
HALT_CHECK_S = 0.02
BOUNDARY_SHARE = 0.02  # of a framework's training time, at most, spent on boundary grids


def _never() -> bool:
    return False


class Run:
    """One training run: the data, a trainer per framework, the records it streamed."""

    def __init__(self, config: TrainConfig, emit: Emit | None = None,
                 stop: Callable[[], bool] = _never) -> None:
        from explorer.training.torch_loop import TorchTrainer

        self.config, self.stop = config, stop
        self.records: list[dict] = []
        self._emit = emit
        self.started = time.perf_counter()
        self.halted: str | None = None  # "stop" (the user) or "time" (the budget)
        self.dataset: DataSet | None = None if config.snippet else build(
            presets.get(config.preset).data)
        self.torch = TorchTrainer(config, self.dataset)
        self.twin: dict = {"status": "not asked"}
        self.tf = None
        if "tf" in config.frameworks:
            self.tf = self.build_tf()
        self.trainers = {name: t for name, t in (("torch", self.torch), ("tf", self.tf))
                         if name in config.frameworks and t is not None}
        self.elapsed = {name: 0.0 for name in self.trainers}
        self.done = {name: 0 for name in self.trainers}
        self.chunk_s: dict[str, float] = {}  # how long each framework's last chunk took
        self.checked = 0.0  # when _halt_now last asked
        self.drawn: dict[str, tuple[float, float]] = {}  # last grid: elapsed then, its cost
        self.last: dict[str, dict] = {}
        self.deadline = None  # when training halts itself, leaving time to measure speed
        if config.time_budget_s is not None:
            from explorer.training.speed import TRAINING_RESERVE_S

            self.deadline = self.started + config.time_budget_s - (
                TRAINING_RESERVE_S if config.speed else 0.0)
        if self.dataset is not None and self.dataset.plane and config.boundary:
            self.grid = metrics.grid_points(self.dataset.summary()["bounds"])
        else:
            self.grid = None

    def build_tf(self) -> Any:
        """The TF twin's trainer, or None with ``self.twin`` saying why there is none."""
        from explorer.training.tf_loop import TfTrainer, Unavailable

        try:
            trainer = TfTrainer(self.config, self.torch, self.dataset)
        except Unavailable as err:
            self.twin = err.info
            return None
        self.twin = {"status": "ok", "trace_s": round(trainer.trace_s, 3),
                     "tf_code": trainer.code}
        return trainer

    def emit(self, record: dict) -> None:
        self.records.append(record)
        if self._emit is not None:
            self._emit(record)

    def setup_record(self) -> dict:
        config = self.config
        return {"kind": "setup", "preset": config.preset, "frameworks": list(self.trainers),
                "steps": config.steps, "log_every": config.log_every,
                "layers": list(self.torch.groups), "parameters": int(sum(
                    p.numel() for p in self.torch.params)),
                "data": self.dataset.summary() if self.dataset is not None else None,
                "twin": {k: v for k, v in self.twin.items() if k != "tf_code"},
                "device": str(self.torch.device)}

    # -- the loop ----------------------------------------------------------------------

    def _halt_now(self) -> bool:
        """Has the user asked to stop, or the time budget run out? Asked at most every
        HALT_CHECK_S, so the question costs the loop nothing a step."""
        now = time.perf_counter()
        if now - self.checked < HALT_CHECK_S:
            return False
        self.checked = now
        if self.stop():
            self.halted = "stop"
        elif self.deadline is not None and now > self.deadline:
            self.halted = "time"
        return self.halted is not None

    def _catch_up(self, name: str, start: int, step: int, end: int, clock: float) -> bool:
        """A framework after the first, halted mid-chunk, finishes the chunk when the rest
        of it, at this chunk's pace so far, takes under CATCH_UP_S, so both frameworks stop
        at the same step (and the worker answers a stop well within the sandbox's grace
        period). A first chunk's pace includes its tracing: an over-estimate, on the safe
        side."""
        first = next(iter(self.trainers))
        if name == first:
            return False
        if step == start:  # no pace yet: its last chunk's, else the first framework's
            known = self.chunk_s.get(name, self.chunk_s.get(first, CATCH_UP_S))
            pace = known / max(1, self.config.log_every)
        else:
            pace = (time.perf_counter() - clock) / (step - start)
        return pace * (end - step) < CATCH_UP_S

    def chunk(self, name: str, start: int, end: int) -> int:
        """Steps ``start`` to ``end`` of one framework, then its record; a halt (checked
        before each step) makes the step it interrupts the last, unless ``_catch_up``.
        Returns the number of steps done."""
        trainer, clock = self.trainers[name], time.perf_counter()
        losses, rights = [], []
        norms = None
        step = start
        while step < end:
            if self.halted is None and self._halt_now() \
                    and not self._catch_up(name, start, step, end, clock):
                end = step + 1
            loss, right, each = trainer.step(step, log=step == end - 1, count=True)
            losses.append(loss)
            if right is not None:
                rights.append(right)
            norms = each if each is not None else norms
            step += 1
        each = trainer.vector(norms)
        losses = trainer.numbers(losses)
        accuracy = trainer.right(rights) / (len(rights) * trainer.batches.batch_size) \
            if rights else None
        self.done[name] = end
        self.chunk_s[name] = time.perf_counter() - clock
        self.elapsed[name] += self.chunk_s[name]
        record = {"kind": "metrics", "framework": name, "step": end,
                  "loss": metrics.mean(losses), "accuracy": accuracy,
                  "grad_norm": metrics.total_norm(each),
                  "layers": metrics.norms_by_layer(each, trainer.groups),
                  "elapsed_s": round(self.elapsed[name], 4)}
        self.last[name] = record
        self.emit(record)
        return end

    def boundary_due(self, name: str, every: int) -> bool:
        """A grid at the end, and every ``every`` steps while the grids so far have cost
        at most BOUNDARY_SHARE of the training time between them (a model predicted batch
        by batch, or a slow machine, gets fewer)."""
        end = self.done[name]
        if end == self.config.steps or self.halted:
            return True
        if end % every:
            return False
        at, cost = self.drawn.get(name, (0.0, 0.0))
        return self.elapsed[name] - at >= cost / BOUNDARY_SHARE

    def boundary(self, name: str) -> None:
        if self.grid is None:
            return
        clock = time.perf_counter()
        xs, ys, points = self.grid
        logits = self.trainers[name].predict((points,))
        self.emit(metrics.boundary_record(name, self.done[name], xs, ys, logits))
        cost = time.perf_counter() - clock
        self.elapsed[name] += cost
        self.drawn[name] = (self.elapsed[name], cost)

    def train(self) -> None:
        """Every framework through ``steps`` steps (fewer after a halt), interleaved."""
        config = self.config
        every = config.boundary_every()
        start = 0
        self._reseed()
        while start < config.steps and self.halted is None:
            end = min(start + config.log_every, config.steps)
            for name in self.trainers:
                end = self.chunk(name, start, end)
                if self.boundary_due(name, every):
                    self.boundary(name)
            start = end

    def _reseed(self) -> None:
        """torch's dropout masks from ``seed``, whether or not the TF side (which reseeds
        torch while it builds) was built. TF's masks are seeded already: its dropout ops got
        their seeds when traced, and ``tf.random.set_seed`` now would empty TF's caches and
        make the next calls of every traced function slow again."""
        import torch

        torch.manual_seed(self.config.seed)

    # -- the result --------------------------------------------------------------------

    def evaluate(self, name: str) -> dict:
        """Loss and accuracy on the whole data set, in eval mode, from the final weights."""
        if self.dataset is None:
            return {}
        logits = self.trainers[name].predict(self.dataset.inputs)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -float(np.mean(log_probs[np.arange(len(logits)), self.dataset.labels]))
        return {"loss": metrics.number(loss),
                "accuracy": metrics.correct(logits, self.dataset.labels) / len(logits)}

    def result(self) -> dict:
        torch_records = [r for r in self.records if r.get("framework") == "torch"
                         and r["kind"] == "metrics"]
        tf_records = [r for r in self.records if r.get("framework") == "tf"
                      and r["kind"] == "metrics"]
        agreement = compare.agreement(torch_records, tf_records, dropout=self._dropout()) \
            if torch_records and tf_records else None
        return {"status": "ok", "preset": self.config.preset, "steps": self.config.steps,
                "stopped": self.halted == "stop", "halted": self.halted,
                "steps_done": dict(self.done), "final": dict(self.last),
                "eval": {name: self.evaluate(name) for name in self.trainers},
                "agreement": agreement, "twin": self.twin,
                "elapsed_s": round(time.perf_counter() - self.started, 3)}

    def _dropout(self) -> bool:
        """Dropout is active while training, so torch and TF draw different masks."""
        import torch

        return self.config.mode == "train" and any(
            isinstance(m, torch.nn.Dropout) and m.p > 0
            for _, module in self.torch.program.modules() for m in module.modules())


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one intra-op thread while training: these models are too small to gain from
    more, and torch's idle threads spinning beside TensorFlow's on two cores made the
    interleaved loop ten times slower. Restored afterwards (tests run in-process)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def train(config: TrainConfig, emit: Emit | None = None,
          stop: Callable[[], bool] = _never) -> dict:
    """Build, stream the setup record, train, measure speed if asked; the final record."""
    with one_thread():
        run = Run(config, emit, stop)
        if not run.trainers:
            return {**run.twin, "status": run.twin.get("status", "error"), "twin": run.twin,
                    "message": run.twin.get("message", "Nothing to train.")}
        run.emit(run.setup_record())
        run.train()
        result = run.result()
        if config.speed and run.halted is None:
            from explorer.training import speed

            result["speed"] = speed.measure(run, emit=run.emit)
    result["elapsed_s"] = round(time.perf_counter() - run.started, 3)
    return result
