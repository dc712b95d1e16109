"""The ``train`` job behind the training page and ``python -m explorer train``: one model
trained in eager PyTorch and as its tf.function twin, a metrics record streamed per framework
every ``log_every`` steps (``channel.emit``), stopping early when the user asks
(``channel.stop_requested``) with what was learned so far, then the final record.

Request: the fields of ``explorer.training.config.TrainConfig`` (``preset`` or "snippet" with
``code``, ``frameworks``, ``optimizer``, ``lr``, ``momentum``, ``batch_size``, ``steps``,
``clip``, ``mode``, ``device``, ``seed``, ``log_every``, ``boundary``, ``speed``).

Streamed records, in order: ``{"kind": "setup", ...}`` once; ``{"kind": "metrics",
"framework", "step", "loss", "accuracy", "grad_norm", "layers", "elapsed_s"}`` per logged
step and framework; ``{"kind": "boundary", "framework", "step", "x", "y", "z"}`` now and then
for 2-D data; ``{"kind": "speed", "variant", "status", "steps_per_s" | "reason"}`` after
training when ``speed`` is asked. Result: ``explorer.training.loop.Run.result``."""
from __future__ import annotations

from explorer import snippet
from explorer.sandbox import channel
from explorer.sandbox.limits import for_job
from explorer.training.config import TrainConfig

MARGIN_S = 10.0  # of the job's wall clock, kept for the final record and the way back


def run(request: dict) -> dict:
    budget = for_job("train").wall_s - MARGIN_S
    asked = request.get("time_budget_s")
    try:
        config = TrainConfig.from_request(
            {**request, "time_budget_s": budget if asked is None else min(budget, float(asked))})
    except (TypeError, ValueError) as err:
        return {"status": "error", "message": str(err), "error_type": "ValueError"}
    from explorer.training import loop  # imports torch (and TensorFlow for the twin)

    try:
        return loop.train(config, emit=channel.emit, stop=channel.stop_requested)
    except snippet.SnippetError as err:
        return err.to_json()
