"""What one run may use, per job, and the mode the sandbox runs in.

Memory is budgeted *above* the worker's own size after its imports (torch and TensorFlow take
about 430 MB of private data before any user code runs), measured in the worker itself; for a
spare worker, after its warm-up (see ``template``), and its CPU limit counts from its request."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

MODE_ENV = "EXPLORER_SANDBOX"    # strict | relaxed
POOL_ENV = "EXPLORER_POOL"       # warm | cold
SPARES_ENV = "EXPLORER_SPARES"   # spare workers the warm template keeps ready (0: none)
MEMORY_ENV = "EXPLORER_MEMORY"   # default | small: a host of 1 to 3 GB (Community Cloud)
MEMORY_PROFILES = ("default", "small")
SMALL_SPARES = 1                 # small: one spare worker (each is about 280 MB)
SMALL_RUN_MB = 384               # small: private memory one run may add (default 1024)
MODES = ("relaxed", "strict")
POOLS = ("warm", "cold")
MB = 1 << 20
# Imports a cold worker does after it is confined (torch and TensorFlow); a warm one did
# them before, in the template, so they are already part of its measured size.
COLD_IMPORT_MB = 768


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Sizes in bytes or MB as named; times in seconds."""

    wall_s: float = 10.0          # request to result, enforced by the server
    cpu_s: float = 20.0           # CPU time of all the worker's threads (2 cores)
    memory_mb: int = 1024         # private memory above the worker's size after imports
    threads: int = 128            # threads of one worker (an unprivileged uid per worker slot)
    open_files: int = 256
    output_bytes: int = 1_000_000   # what the user's code prints
    result_bytes: int = 32_000_000  # every JSON record the worker sends back, in all
    file_mb: int = 64             # size of the per-run temporary folder (and of one file)
    code_bytes: int = 200_000     # the snippet text itself

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Limits:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def replace(self, **changes: object) -> Limits:
        return dataclasses.replace(self, **changes)


DEFAULT = Limits()
# Training streams metrics for up to two minutes; its CPU allowance follows.
JOB_LIMITS: dict[str, Limits] = {
    "train": Limits(wall_s=120.0, cpu_s=240.0, result_bytes=64_000_000),
    # Jobs that also trace the TensorFlow twin: a cold worker (the CLI) imports TensorFlow
    # first, 4-6 s on a busy 2-core machine. A runaway loop waits this long, or Cancel.
    "explore": Limits(wall_s=20.0, cpu_s=40.0),
    "tf_graph": Limits(wall_s=30.0, cpu_s=60.0),
    "check": Limits(wall_s=30.0, cpu_s=60.0),
    "twin_values": Limits(wall_s=30.0, cpu_s=60.0),
}


def memory_profile() -> str:
    """``$EXPLORER_MEMORY``: ``small`` (one spare, 384 MB per run: the server idles under
    1.2 GB and stays under 2.5 GB with two runs in flight, ``bench/memory.py``) or
    ``default``. An unknown value is the default."""
    value = os.environ.get(MEMORY_ENV, "").strip().lower()
    return value if value in MEMORY_PROFILES else "default"


def for_job(job: str, timeout: float | None = None) -> Limits:
    """The default limits of ``job`` (at most ``SMALL_RUN_MB`` of memory in the small memory
    profile); ``timeout`` overrides the wall clock (and lifts the CPU allowance with it)."""
    limits = JOB_LIMITS.get(job, DEFAULT)
    if memory_profile() == "small":
        limits = limits.replace(memory_mb=min(limits.memory_mb, SMALL_RUN_MB))
    if timeout is not None:
        limits = limits.replace(wall_s=float(timeout),
                                cpu_s=max(limits.cpu_s, 2.0 * float(timeout)))
    return limits


# Spare workers (see ``template``): confined before their request with the loosest limits of
# any job, plus room for their own warm-up, then lowered to the run's limits.
MAX_SPARES = 4
WORKER_SLOTS = 64               # scheduler slots, each a uid: UID_BASE + 0..63
SPARE_SLOTS = 16                # uid slots per warm pool for its spares, above the scheduler's
SPARE_MAX_AGE_S = 900.0         # a spare that waited this long is replaced by a fresh one
SPARE_WARM_CPU_S = 60.0         # CPU time a spare may spend before its request
SPARE_WARM_MB = 512             # private memory its warm-up may add


def loosest() -> Limits:
    """The loosest value of each limit over every job's defaults: what a spare can serve."""
    every = [DEFAULT, *JOB_LIMITS.values()]
    return Limits(**{f.name: max(getattr(lim, f.name) for lim in every)
                     for f in dataclasses.fields(Limits)})


def spare_limits() -> Limits:
    """The limits a spare is confined with before it knows its run: the loosest, with room
    for the warm-up. Its request lowers them to the run's own (``layers.lower_rlimits``)."""
    widest = loosest()
    return widest.replace(cpu_s=widest.cpu_s + SPARE_WARM_CPU_S,
                          memory_mb=widest.memory_mb + SPARE_WARM_MB)


def fits_spare(limits: Limits) -> bool:
    """True when a spare can enforce ``limits`` exactly: each rlimit at most the spare's (it
    can only lower them) and the same temp folder size (its tmpfs is mounted already)."""
    widest = loosest()
    return (limits.cpu_s <= widest.cpu_s and limits.memory_mb <= widest.memory_mb
            and limits.threads <= widest.threads and limits.open_files <= widest.open_files
            and limits.file_mb == widest.file_mb)


def spares(workers: int | None = None) -> int:
    """How many spare workers the warm template keeps ready: ``$EXPLORER_SPARES`` when set,
    else one per scheduler worker (``workers``, default the cores), at most ``MAX_SPARES``
    (``SMALL_SPARES`` in the small memory profile)."""
    value = os.environ.get(SPARES_ENV, "").strip()
    if value.isdigit():
        return min(int(value), 16)
    if memory_profile() == "small":
        return SMALL_SPARES
    return max(0, min(workers or os.cpu_count() or 1, MAX_SPARES))


def mode() -> str:
    """``strict`` (a hosted server: refuse to run user code when a layer is missing) or
    ``relaxed`` (a local single-user run: apply what works, say what does not)."""
    value = os.environ.get(MODE_ENV, "relaxed").strip().lower()
    return value if value in MODES else "strict"  # a typo must not weaken a hosted server


def choose_pool(preferred: str = "warm") -> str:
    """``$EXPLORER_POOL`` when set, else ``preferred``: ``warm`` (fork from a template that
    imported torch and TensorFlow once: the server, scripts that drive the scheduler) or
    ``cold`` (one fresh process per run, importing only what its job needs: one-shot CLI
    commands, where a template's 5 s of imports would be paid for one run)."""
    value = os.environ.get(POOL_ENV, "").strip().lower()
    return value if value in POOLS else preferred
