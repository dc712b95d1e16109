"""Resource limits of a worker: the table for a run's limits above the worker's own size after
its imports, applied at confinement, or lowered to a run's own by a spare when its request
comes. CUDA's needs (a GPU run) loosen two of them."""
from __future__ import annotations

import os
import resource
from pathlib import Path

from explorer.sandbox.limits import COLD_IMPORT_MB, MB, Limits
from explorer.sandbox.report import Report

CUDA_HOST_MB = 8192     # private memory a GPU run may take beyond its limit, for CUDA itself


def tasks_of_uid(uid: int) -> int:
    """Threads (tasks, what RLIMIT_NPROC counts) of every process whose real uid is ``uid``,
    as far as this process's /proc shows them (read before Landlock hides it)."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{name}/status").read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError, IndexError):
            continue  # it ended while we read
    return count


def apply_process_limit(report: Report, limits: Limits, root: bool,
                        shared_uid: bool) -> None:
    """RLIMIT_NPROC, counted by the kernel per real uid. Root hosts: the slot's own uid, so
    ``limits.threads`` is this worker's alone. A shared uid (a non-root host without a user
    namespace: the server's own): what the uid runs now plus ``limits.threads``, so this
    worker adds at most that many, whatever the server and the other workers do; their
    threads share the uid's count, so a bomb in one worker only narrows the others' room."""
    if root or not shared_uid:  # the table's RLIMIT_NPROC (root), or the namespaces' layers
        report.add("process limit", True, f"{limits.threads} threads at most (RLIMIT_NPROC of "
                   "the slot's own uid)" if root else "in the template's user and pid "
                   "namespaces: no process can start (seccomp), threads bounded by memory")
        return
    now = tasks_of_uid(os.getuid())
    value = now + limits.threads
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (value, value))
    except (OSError, ValueError) as err:
        report.add("process limit", False, f"could not set RLIMIT_NPROC: {err}")
        return
    report.add("process limit", True, f"at most {limits.threads} threads more than the "
               f"{now} that uid {os.getuid()} runs now (RLIMIT_NPROC {value}, shared with the "
               "server and the other workers of this uid): no thread bomb, no fork bomb")


def rlimit_table(limits: Limits, status: dict[str, int], preloaded: bool, root: bool,
                 cpu_used: float = 0.0) -> dict[int, tuple[int, int]]:
    """The rlimits of a run with ``limits``, above ``status`` (``vm_status`` of the worker
    before the user's code) and ``cpu_used`` seconds of CPU time already spent."""
    data = status["VmData"] + limits.memory_mb * MB + (0 if preloaded else COLD_IMPORT_MB * MB)
    # Address space is looser than data: thread stacks and malloc arenas reserve much more
    # than they use. It still bounds shared mappings, which RLIMIT_DATA does not count.
    space = status["VmSize"] + (limits.memory_mb + 2048 + (0 if preloaded else COLD_IMPORT_MB)) * MB
    cpu = int(cpu_used + limits.cpu_s + 0.999)
    table = {resource.RLIMIT_DATA: (data, data), resource.RLIMIT_AS: (space, space),
             resource.RLIMIT_CPU: (cpu, cpu + 1),
             resource.RLIMIT_FSIZE: (limits.file_mb * MB, limits.file_mb * MB),
             resource.RLIMIT_NOFILE: (limits.open_files, limits.open_files),
             resource.RLIMIT_CORE: (0, 0), resource.RLIMIT_MEMLOCK: (0, 0)}
    if root:  # counted per uid: only a worker slot's own uid makes it a per-worker limit
        table[resource.RLIMIT_NPROC] = (limits.threads, limits.threads)
    return table



def _describe_rlimits(table: dict[int, tuple[int, int]], status: dict[str, int],
                      limits: Limits, root: bool) -> str:
    data, cpu = table[resource.RLIMIT_DATA][0], table[resource.RLIMIT_CPU][0]
    return (f"memory {data // MB} MB private data ({status['VmData'] // MB} MB after imports + "
            f"{limits.memory_mb} MB), CPU {cpu} s, files {limits.file_mb} MB, "
            f"{limits.open_files} open files"
            + (f", {limits.threads} threads" if root else ", threads bounded by memory"))



def apply_rlimits(report: Report, limits: Limits, preloaded: bool, root: bool,
                  cuda: bool = False) -> None:
    status = vm_status()
    table = rlimit_table(limits, status, preloaded, root)
    if cuda:  # CUDA reserves far more address space than any bound we could set, and its
        # libraries (cuBLAS, cuDNN) and host-side buffers take gigabytes of private memory
        table.pop(resource.RLIMIT_AS)
        data = table[resource.RLIMIT_DATA][0] + CUDA_HOST_MB * MB
        table[resource.RLIMIT_DATA] = (data, data)
    try:
        for kind, value in table.items():
            resource.setrlimit(kind, value)
    except (OSError, ValueError) as err:
        report.add("rlimits", False, f"could not set: {err}")
        return
    report.add("rlimits", True, _describe_rlimits(table, status, limits, root)
               + ("; address space unbounded (a GPU run)" if cuda else ""))



def lower_rlimits(report: Report, limits: Limits, status: dict[str, int], cpu_used: float,
                  root: bool) -> dict[int, tuple[int, int]]:
    """A spare, once its request came: from the loosest limits it was confined with down to
    this run's own, above its size and CPU time after the warm-up (``status``, ``cpu_used``);
    ``root``: whether it was confined as root (then RLIMIT_NPROC is its slot uid's). Lowering
    needs no privilege; raising is impossible, so a value above the spare's own (a warm-up
    far bigger than planned) is clamped to it. Raises OSError when a limit cannot be set: the
    caller must not run the user's code then. A confinement whose rlimits failed stays
    reported as failed."""
    table = rlimit_table(limits, status, True, root, cpu_used=cpu_used)
    done = {}
    for kind, (soft, hard) in table.items():
        _soft, current_hard = resource.getrlimit(kind)
        if current_hard != resource.RLIM_INFINITY:
            hard = min(hard, current_hard)
        soft = min(soft, hard)
        try:
            resource.setrlimit(kind, (soft, hard))
        except (OSError, ValueError) as err:
            report.add("rlimits", False, f"could not lower to this run's limits: {err}")
            raise OSError(f"setrlimit({kind}): {err}") from None
        done[kind] = (soft, hard)
    if report.get("rlimits", {}).get("works"):
        report.add("rlimits", True, _describe_rlimits(done, status, limits, root)
                   + " (a spare's, lowered to this run's when its request came)")
    return done



def vm_status() -> dict[str, int]:
    """VmData, VmSize, VmRSS of this process in bytes."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmData", "VmSize", "VmRSS", "VmPeak"):
            values[key] = int(rest.split()[0]) * 1024
    return values

