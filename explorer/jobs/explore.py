"""The ``explore`` job behind the explorer page: in one worker, one PyTorch run of the user's
code (graph, executed lines, timings) whose numbers the TensorFlow twin is checked against
(static graph, AutoGraph's code, outputs and gradients), and the same model on other inputs
to compare (``input_seeds``: the weights stay those of ``seed``, ``inputs()`` is reseeded)."""
from __future__ import annotations

from explorer import execution, snippet
from explorer.executed import LineTracer
from explorer.sandbox import channel

MAX_COMPARE = 8
PROVISIONAL_TWIN_S = 1.0  # a twin graph that took this long to trace is sent before its check
TWIN_UNCHECKED = ("The tf.function graph is drawn (traced in {seconds:.0f} s), but checking its "
                  "outputs and gradients against PyTorch did not finish within this run's "
                  "limits: a Python loop over range(n) is unrolled by AutoGraph, one copy of "
                  "its body a step, and differentiating so large a graph takes longer still. "
                  "A while loop on a tensor stays one While op.")
TWIN_UNFINISHED = ("The tf.function twin did not finish within this run's limits. A static "
                   "graph holds every step of a Python loop over range(n) (AutoGraph unrolls "
                   "it), so a long loop makes a very large graph to trace and differentiate; "
                   "try fewer steps, or a while loop on a tensor, which stays one While op.")


def traced_run(code: str, seed: int, device: str, input_seed: int | None = None,
               keep_values: bool = False) -> tuple[dict, execution.Execution | None]:
    """The JSON of one run with the lines it executed, and the run itself (None if the
    user's code failed before backward)."""
    tracer = LineTracer(snippet.SNIPPET_FILE)
    run = None
    try:
        run = execution.execute(code, seed=seed, device=device, tracer=tracer,
                                backward=input_seed is None, input_seed=input_seed,
                                keep_values=keep_values)
        result = run.to_json()
    except snippet.SnippetError as err:
        result = err.to_json()
    result.update(seed=seed, input_seed=input_seed, trace=tracer.to_json())
    return result, run


def run(request: dict) -> dict:
    code = request["code"]
    seed = int(request.get("seed", 0))
    device = request.get("device", "cpu")
    twin = request.get("twin", True)
    primary, drawn = traced_run(code, seed, device, keep_values=twin)
    if primary["status"] != "ok":
        return {**primary, "run": primary}
    input_seeds = [int(s) for s in request.get("input_seeds", [])][:MAX_COMPARE]
    result = {"status": "ok", "run": primary,
              "compare": [traced_run(code, seed, device, s)[0] for s in input_seeds]}
    if twin:
        from explorer import twin as twin_check  # TensorFlow is imported here, in the worker

        # the PyTorch side stands if the twin does not finish (a long loop that AutoGraph
        # unrolls can take longer than the run's time)
        channel.provisional({**result, "twin": {"status": "unfinished",
                                                "message": TWIN_UNFINISHED}})

        def traced(graph, autograph_code: str, timings: dict) -> None:
            """A slow trace (a long unrolled loop): its graph stands even if the check,
            slower still, does not finish."""
            took = timings.get("trace_s", 0) + timings.get("capture_s", 0)
            if took >= PROVISIONAL_TWIN_S:  # adds the twin to the PyTorch side sent before
                channel.provisional({"twin": {
                    "status": "unfinished", "graph": graph.to_json(),
                    "autograph_code": autograph_code,
                    "message": TWIN_UNCHECKED.format(seconds=took)}})

        result["twin"] = twin_check.compare_or_error(code, seed, device, request.get("tf_code"),
                                                     run=drawn, on_graph=traced)
    return result
