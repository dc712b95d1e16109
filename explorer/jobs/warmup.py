"""A spare worker's warm-up on the jobs' own code: the explore job (what the explorer page
runs) on a built-in snippet, so that the first run on a spare does not pay for the capture's
and the twin's first uses. The sandbox runs it after the spare is confined (``JobTable``).

``lessons``: what a server computes once at its start so that its cache holds them: each
lesson as the explorer page first runs it (its code, seed 0, the CPU)."""
from __future__ import annotations

# A module, a loop, and an ``if`` on a tensor, so that the twin's AutoGraph makes a While
# and a cond.
SNIPPET = '''import torch
import torch.nn as nn

layer = nn.Linear(3, 3)


def inputs():
    return (torch.ones(2, 3),)


def forward(x):
    h = torch.tanh(layer(x))
    for _ in range(2):
        h = h * 0.5
    if h.sum() > 0:
        h = h + 1.0
    else:
        h = h - 1.0
    return h.sum()
'''


def explore() -> None:
    """Run the explore job once on ``SNIPPET``; raises when it or its twin did not succeed."""
    from explorer.jobs import explore as job

    result = job.run({"code": SNIPPET, "seed": 0})
    twin = result.get("twin", {})
    if result.get("status") != "ok" or twin.get("status") != "ok":
        raise RuntimeError(f"explore: {result.get('message') or twin.get('message')}")


def lessons() -> list[tuple[str, dict]]:
    """The explorer page's request for each lesson at its default settings (the page sends
    ``{"code", "seed", "device"}``; seed 0 and the CPU are its defaults)."""
    from explorer import lessons as course

    return [("explore", {"code": lesson.code, "seed": 0, "device": "cpu"})
            for lesson in course.all_lessons()]
