"""The ``graph`` job: run a snippet once, capture the autograd graph this run built, then
run backward (timed, and to report an error the lessons teach)."""
from __future__ import annotations

from explorer import execution, snippet


def run(request: dict) -> dict:
    try:
        return execution.execute(request["code"], seed=int(request.get("seed", 0)),
                                 device=request.get("device", "cpu"),
                                 backward=request.get("backward", True)).to_json()
    except snippet.SnippetError as err:
        return err.to_json()
