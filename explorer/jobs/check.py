"""The ``check`` job: does the TensorFlow twin compute what PyTorch computes?

Request ``{"code", "seed", "device"[, "tf_code"]}``. Returns ``{"status": "ok", "torch":
{"output"}, "tf": {"output"}, "equivalent", "max_abs_diff_output", "max_abs_diff_grads",
"grads", "tolerance", "message", "timings"}``, the no-twin lesson, or the user's error."""
from __future__ import annotations

LEFT_OUT = ("graph", "tf_code", "autograph_code", "tf_stdout")  # the tf_graph job's part


def run(request: dict) -> dict:
    from explorer import twin

    result = twin.compare(request["code"], seed=int(request.get("seed", 0)),
                          device=request.get("device", "cpu"), tf_code=request.get("tf_code"))
    return {k: v for k, v in result.items() if k not in LEFT_OUT}
