"""A light job table for the scale tests and benchmarks (issue 13): real sandbox runs (a
confined worker each) without torch, so that a test can start many of them on two cores, and
a worker host can be shown to run any table (``python -m explorer worker --jobs``). It lives
in the package because a confined worker reads nothing outside it. ``echo`` answers with
its request and the worker's pid after ``sleep`` seconds (cacheable); ``stream`` emits
``steps`` records, one each ``every`` seconds, until stopped (a streaming job: not
cacheable)."""
from __future__ import annotations

import os
import time

from explorer.sandbox import channel
from explorer.sandbox.registry import JobTable

MODULE = __name__


def dispatch(name: str, request: dict) -> dict:
    if name == "echo":
        time.sleep(float(request.get("sleep", 0.0)))
        return {"status": "ok", "echo": request, "pid": os.getpid(),
                "timings": {"total_s": float(request.get("sleep", 0.0))}}
    if name == "stream":
        step = 0
        for step in range(int(request.get("steps", 5))):
            if channel.stop_requested():
                break
            channel.emit({"step": step})
            time.sleep(float(request.get("every", 0.05)))
        return {"status": "ok", "steps": step + 1}
    return {"status": "error", "message": f"unknown job {name!r}"}


def lessons() -> list[tuple[str, dict]]:
    return [("echo", {"code": f"# lesson {i}", "seed": 0}) for i in range(3)]


JOBS = JobTable(dispatch=dispatch, cacheable=frozenset({"echo"}), precompute=lessons)
