"""The ``twin_values`` job: each op's value and gradient in the snippet's tf.function twin
(``explorer.twin.op_values``), asked for by the explorer page's toggles on that graph.

Request ``{"code", "seed", "device"[, "tf_code"]}``. Returns ``{"status": "ok", "nodes":
{op id: {"op", "forward", "grad_in"}}, "valued"}`` or an error with its message."""
from __future__ import annotations


def run(request: dict) -> dict:
    from explorer.twin import op_values  # TensorFlow is imported here, in the worker

    return op_values.nodes_of(request["code"], seed=int(request.get("seed", 0)),
                              device=request.get("device", "cpu"),
                              tf_code=request.get("tf_code"))
