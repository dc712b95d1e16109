"""The jobs' table for the sandbox: the entry point, what a warm template imports ahead of
runs, and the warm-up a spare worker runs on our own code before its request."""
from __future__ import annotations

from explorer import jobs
from explorer.jobs import warmup
from explorer.sandbox.registry import JobTable

# Imported by the warm template before it forks, so that no run pays for them: torch._dynamo
# by any op on the "meta" device (about 1 s, 4 s under the line tracer), the twin and TF
# capture by explore, the training loops by train, sklearn's data sets by its presets.
PRELOAD = ("torch", "tensorflow", "explorer.snippet", "explorer.capture.torch",
           "torch._dynamo", "explorer.executed", "explorer.twin.check", "explorer.capture.tf",
           "explorer.training.loop", "explorer.training.torch_loop",
           "explorer.training.tf_loop", "explorer.training.presets", "explorer.training.data",
           "explorer.training.speed", "sklearn.datasets")

# Jobs whose answer is a function of the request (and of the versions the cache key holds):
# the same code, seed and device draw the same graphs. Not ``train`` (a stream whose speeds
# are measured by each run) nor ``environment`` (what this host has now).
CACHEABLE = frozenset({"explore", "graph", "grads", "check", "tf_graph", "run", "modes",
                       "twin_values"})

JOBS = JobTable(dispatch=jobs.dispatch,
                preload=PRELOAD + tuple(f"{jobs.__name__}.{name}" for name in jobs.names()),
                warm_up=(("explore", warmup.explore),),
                template_warm_up=warmup.TEMPLATE_STEPS, cacheable=CACHEABLE,
                precompute=warmup.lessons)
