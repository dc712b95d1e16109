"""The ``explore`` job behind the explorer page: in one worker, the PyTorch run (graph,
executed lines, timings), the same model on other inputs to compare (``input_seeds``: the
weights stay those of ``seed``, ``inputs()`` is reseeded), and the TensorFlow twin (static
graph, AutoGraph's code, outputs and gradients checked equal)."""
from __future__ import annotations

from explorer import snippet
from explorer.executed import LineTracer
from explorer.jobs.graph import torch_run
from explorer.sandbox import channel

MAX_COMPARE = 8
TWIN_UNFINISHED = ("The tf.function twin did not finish within this run's limits. A static "
                   "graph holds every step of a Python loop over range(n) (AutoGraph unrolls "
                   "it), so a long loop makes a very large graph to trace and differentiate; "
                   "try fewer steps, or a while loop on a tensor, which stays one While op.")


def traced_run(code: str, seed: int, device: str, input_seed: int | None = None) -> dict:
    tracer = LineTracer(snippet.SNIPPET_FILE)
    try:
        result = torch_run(code, seed=seed, device=device, tracer=tracer,
                           backward=input_seed is None, input_seed=input_seed)
    except snippet.SnippetError as err:
        result = err.to_json()
    result.update(seed=seed, input_seed=input_seed, trace=tracer.to_json())
    return result


def twin_result(code: str, seed: int, device: str, tf_code: str | None) -> dict:
    """The twin's result; a failure of the twin never hides the PyTorch graph."""
    try:
        from explorer import twin  # TensorFlow is imported here, in the worker, when asked

        return twin.compare(code, seed=seed, device=device, tf_code=tf_code)
    except snippet.SnippetError as err:
        return err.to_json()
    except Exception as err:  # a gap in the translator: report it, keep the torch side
        return {"status": "error", "message": f"{type(err).__name__}: {err}"}


def run(request: dict) -> dict:
    code = request["code"]
    seed = int(request.get("seed", 0))
    device = request.get("device", "cpu")
    primary = traced_run(code, seed, device)
    if primary["status"] != "ok":
        return {**primary, "run": primary}
    input_seeds = [int(s) for s in request.get("input_seeds", [])][:MAX_COMPARE]
    result = {"status": "ok", "run": primary,
              "compare": [traced_run(code, seed, device, s) for s in input_seeds]}
    if request.get("twin", True):
        # the PyTorch side stands if the twin does not finish (a long loop that AutoGraph
        # unrolls can take longer than the run's time)
        channel.provisional({**result, "twin": {"status": "unfinished",
                                                "message": TWIN_UNFINISHED}})
        result["twin"] = twin_result(code, seed, device, request.get("tf_code"))
    return result
