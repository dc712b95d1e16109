"""The ``tf_graph`` job: the snippet's TensorFlow twin traced by tf.function, as a graph.

Request ``{"code", "seed", "device"[, "tf_code"]}`` (``tf_code``: the user's edit of the
generated TF code, run instead of the translation). Returns ``{"status": "ok", "graph",
"tf_code", "autograph_code", "tf_stdout", "timings"}``, the no-twin lesson, or the user's
error. ``tf_stdout`` is what the twin printed while tracing: both arms of every
tensor-dependent if run their Python code once."""
from __future__ import annotations

KEYS = ("status", "graph", "tf_code", "autograph_code", "tf_stdout", "timings")


def run(request: dict) -> dict:
    from explorer import twin

    result = twin.compare(request["code"], seed=int(request.get("seed", 0)),
                          device=request.get("device", "cpu"), tf_code=request.get("tf_code"))
    return {k: result[k] for k in KEYS} if result["status"] == "ok" else result
