"""The ``graph`` job: run a snippet once, capture the autograd graph this run built, then
run backward (timed, and to report an error the lessons teach)."""
from __future__ import annotations

import time

from explorer import snippet
from explorer.capture.torch import Leaf, capture


def program_leaves(program: snippet.Program) -> list[Leaf]:
    """Named leaves: module-level parameters and tensors first, then forward's inputs."""
    leaves = [Leaf(name, "param" if t.requires_grad else "const", t)
              for name, t in program.module_tensors()]
    leaves += [Leaf(name, "input", t) for name, t in program.input_tensors()]
    return leaves


def run(request: dict) -> dict:
    try:
        program = snippet.load(request["code"], seed=int(request.get("seed", 0)),
                               device=request.get("device", "cpu"))
        start = time.perf_counter()
        outputs = program.run_forward()
        forward_s = time.perf_counter() - start
    except snippet.SnippetError as err:
        return err.to_json()
    start = time.perf_counter()
    graph = capture(outputs, program_leaves(program))
    capture_s = time.perf_counter() - start
    result = {"status": "ok", "graph": graph.to_json(),
              "timings": {"forward_s": forward_s, "capture_s": capture_s}}
    if request.get("backward", True) and any(o.requires_grad for o in outputs):
        start = time.perf_counter()
        try:
            program.backward()
            result["timings"]["backward_s"] = time.perf_counter() - start
        except snippet.SnippetError as err:
            result["backward_error"] = err.to_json()
    return result
