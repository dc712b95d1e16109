"""Run user code in isolated, limited, single-use workers (issue 4).

User code never runs in the calling process (the Streamlit server or the CLI). Each run is a
fresh process, forked from a template that already imported torch and TensorFlow (the warm
pool) or started for that run alone (cold), confined by the kernel (namespaces, rlimits, an
unprivileged uid, Landlock, seccomp), killed with its whole pid namespace at the wall-clock
limit, and it returns JSON only.

The warm template keeps spare workers (one per scheduler worker by default, at most 4;
``$EXPLORER_SPARES``): forked ahead of time, each confines itself with every layer (the loosest
limits of any job, a uid of its own), then warms up on our own code only (TensorFlow's first
trace and gradient, torch's autograd, then the job table's own steps) at idle priority, and
waits. A run takes a ready spare, which lowers its rlimits to the run's own when the request
comes; the wall clock counts from the request. A spare is still used once and never reused;
with none ready (a burst of runs) a worker is forked for the run as before. The cold path
(``--once``) has no spares.

The API:

- ``registry.use(module)``: the job table runs use (a job package names its own); the sandbox
  knows no job.
- ``run_job(job, request, timeout=None, *, limits=None, pool=None, gpu=False) -> dict``: one
  run, blocking; the result always has ``status`` (``outcome.STATUSES``) and, unless ok,
  ``message``; user errors carry ``line``, ``source_line``, ``hint``, ``error_type``; what
  the user's code printed is ``stdout``, warnings from libraries are ``warnings``.
- ``scheduler()``: the process-wide ``Scheduler``; ``submit(session_id, job, request, *,
  pool=None, gpu=False)`` returns a ``Ticket`` (position, estimated_wait_s, records, result,
  stop, cancel). Identical requests of a job the table names ``cacheable`` share one run
  and later ones come from its result cache, marked ``cached`` (``cache``); the queue is
  bounded by memory (``admission``); ``warm_up()`` also computes the table's ``precompute``
  requests (the lessons). With ``$EXPLORER_REDIS``, runs go to worker hosts and the cache
  is shared through Redis (``scale``, ``explorer.distributed``).
  A run is warm unless its caller asks for ``pool="cold"`` (``choose_pool("cold")``: the
  CLI's one-shot commands) or ``$EXPLORER_POOL`` says otherwise; a GPU run is asked for with
  ``gpu=True``.
- ``about(refresh=False, pool=None)``: what protects runs on this host (for ``doctor`` and
  the About page), with the pool's state (``report["scheduler"]["pool"]["spares"]``: target,
  ready, warming).
- ``channel.emit`` / ``channel.stop_requested``: streaming, for jobs (see ``protocol``).
"""
from __future__ import annotations

import uuid

from explorer.sandbox import registry
from explorer.sandbox.limits import Limits, choose_pool, mode
from explorer.sandbox.outcome import STATUSES
from explorer.sandbox.schedule import Scheduler, Ticket, scheduler

__all__ = ["Limits", "STATUSES", "Scheduler", "Ticket", "about", "choose_pool", "mode",
           "registry", "run_job", "scheduler"]


def run_job(job: str, request: dict, timeout: float | None = None, *,
            limits: Limits | None = None, pool: str | None = None, gpu: bool = False) -> dict:
    """Run ``job`` on ``request`` in a fresh worker and wait for its result.

    ``timeout`` is the wall clock in seconds (default: the job's, 10 s for a graph run,
    120 s for training); ``limits`` overrides every limit; ``pool`` is ``"warm"`` (fork from
    the shared template) or ``"cold"`` (a new process), default ``$EXPLORER_POOL`` or warm;
    ``gpu``: a GPU run (a cold worker confined so that CUDA can initialise). Runs through
    the process-wide scheduler, so they share its bound on workers."""
    ticket = scheduler().submit(f"run_job-{uuid.uuid4().hex}", job, request, limits=limits,
                                timeout=timeout, pool=pool, gpu=gpu)
    return ticket.result()


def about(refresh: bool = False, pool: str | None = None) -> dict:
    """The sandbox on this host: mode, layers that work, limits, worker pool state; the
    self-test runs on ``pool`` (default: the scheduler's)."""
    from explorer.sandbox import doctor

    return doctor.report(refresh=refresh, pool=pool)
