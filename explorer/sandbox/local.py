"""One run on a worker of this host, for the scheduler: a cold template for the run alone, or
the warm pool's (a spare or a fresh fork); ``elapsed_s`` counts from the start here (a cold
template's start included)."""
from __future__ import annotations

import time

from explorer.sandbox import limits as limits_module
from explorer.sandbox import registry
from explorer.sandbox.pool import TemplateClient, TemplateError, WarmPool
from explorer.sandbox.runs import Run
from explorer.sandbox.tickets import Flight


def cancelled(before_start: bool) -> dict:
    return {"status": "cancelled", "elapsed_s": 0.0, "stdout": "",
            "message": "The run was cancelled before it started." if before_start
            else "The run was cancelled."}


def execute(flight: Flight, slot: int, pool: WarmPool, jobs: str | None = None) -> dict:
    """Run ``flight`` on uid slot ``slot``; ``jobs``: the job table a cold template loads
    (default the registry's)."""
    run = Run(flight.job, flight.request, flight.limits, limits_module.mode(), slot, flight.gpu)
    run.started = time.perf_counter()
    cold = None
    try:
        if flight.pool == "cold":
            cold = TemplateClient(registry.module(jobs), preload=False, once=True)
            cold.wait_ready()
            template = cold
        else:
            template = pool.get()
        if not flight.start(run):
            return cancelled(False)
        run.start(template, 0.0 if cold is not None else pool.spare_wait_s)
        if flight.killed:
            run.kill("cancel")
        return run.wait(flight.stream)
    except TemplateError as err:
        return {"status": "crashed", "message": f"The sandbox could not start a worker: {err}",
                "elapsed_s": 0.0, "stdout": ""}
    finally:
        run.close()
        if cold is not None:
            cold.kill()
