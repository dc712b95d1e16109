"""The ``grads`` job: one run's gradients (leaves, nodes, engine order, saved bytes), after
the live edits of the request, and a finite-difference check on demand.

Request: ``code``, ``seed`` (0), ``device`` ("cpu"), ``input_scale``, ``input_element``,
``param_element`` (see ``explorer.gradients.edits``), ``gradcheck`` (false, true, or options
of ``explorer.gradients.fdcheck.CheckOptions``), ``twin`` (false: true adds the TensorFlow
twin's gradients from ``tf.GradientTape`` for the snippet as written, without the edits).
"""
from __future__ import annotations

import time

from explorer import snippet
from explorer.gradients import engine, fdcheck
from explorer.gradients.edits import Edits, targets


def run(request: dict) -> dict:
    start = time.perf_counter()
    code, seed, device = request["code"], int(request.get("seed", 0)), request.get("device", "cpu")
    try:
        edits = Edits.from_request(request)
        options = fdcheck.CheckOptions.from_request(request.get("gradcheck"))
        load_start = time.perf_counter()
        program = snippet.load(code, seed=seed, device=device)
        edits.apply(program)
        load_s = time.perf_counter() - load_start
        editable = targets(program)
        result = {"status": "ok", **engine.inspect(program),
                  "editable": targets(program, editable)}  # a lazy module's, made by forward
    except snippet.SnippetError as err:
        return err.to_json()
    except engine.BackwardError as err:  # the graph was captured: send it with the error
        return {**err.error.to_json(), "graph": err.graph}
    result["timings"]["load_s"] = load_s
    if request.get("gradcheck"):
        try:
            result["gradcheck"] = fdcheck.check(code, seed, device, edits, options)
        except snippet.SnippetError as err:
            result["gradcheck"] = {"ok": None, "error": err.to_json()}
        result["timings"]["gradcheck_s"] = result["gradcheck"].get("elapsed_s", 0.0)
    if request.get("twin"):
        from explorer import twin  # TensorFlow is imported here, in the worker, when asked

        result["twin"] = twin.compare_or_error(code, seed, device)
    result["timings"]["total_s"] = time.perf_counter() - start
    return result
