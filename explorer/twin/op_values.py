"""Each op's value and gradient in a snippet's tf.function twin, for the explorer page's
"Values on the nodes" and "Colour by gradient size" on the tf.function graph: the twin traced
on the torch run's numbers, as the check does, then ``capture.tf_values`` on that trace.

A run of its own, made when the page first asks (the ``twin_values`` job), as the PyTorch
graph's gradients come from the ``grads`` job: fetching every op's output and gradient costs
about as much as the check again (0.05-0.1 s on a lesson), so every Run would pay for what
few look at. The trace is of the same code, so its ops have the page's graph's names.
Imported lazily (TensorFlow)."""
from __future__ import annotations

import contextlib
import io

from explorer import snippet
from explorer.capture import tf as capture_tf
from explorer.capture import tf_values
from explorer.twin import rewrite, torch_side
from explorer.twin import run as twin_run
from explorer.twin.limits import NoTwin


def nodes_of(code: str, seed: int = 0, device: str = "cpu", tf_code: str | None = None) -> dict:
    """``{"status": "ok", "nodes": {op id: {"op", "forward", "grad_in": [summary]}},
    "valued": bool}`` (``valued`` False: a graph past ``tf_values.MAX_OPS``, none given), or
    ``{"status": "error" | "no-twin", "message"}``."""
    try:
        torch_run = torch_side.run_torch(code, seed=seed, device=device)
        text = tf_code if tf_code is not None else rewrite.translate(code).code
        with contextlib.redirect_stdout(io.StringIO()):  # the check shows what it prints
            side = twin_run.load_tf(text, torch_run, seed)
            _, concrete = twin_run.trace(side)
            graph = capture_tf.capture(concrete, side.input_names, side.variables)
            valued = tf_values.annotate(graph, concrete, side.inputs)
    except snippet.SnippetError as err:
        return err.to_json()
    except NoTwin as err:
        return {"status": "no-twin", "message": err.to_json()["message"]}
    except twin_run.TwinError as err:
        return {"status": "error", "message": f"{err.error_type}: {err.message[:500]}"}
    except Exception as err:  # noqa: BLE001 - TensorFlow refused the prune or a gradient
        return {"status": "error", "message": "TensorFlow could not give the ops' values: "
                                              f"{type(err).__name__}: {str(err)[:300]}"}
    nodes = {}
    for node in graph.nodes:
        forward, grad = node.attrs.get("value"), node.attrs.get("grad")
        if node.kind == "op" and isinstance(forward, dict) and "mean" in forward:
            nodes[node.id] = {"op": node.op, "forward": forward,
                              "grad_in": [grad] if grad else []}
    return {"status": "ok", "nodes": nodes, "valued": valued}
