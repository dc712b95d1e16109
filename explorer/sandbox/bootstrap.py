"""The template process's start, before it serves (``template``): its own user and pid
namespaces (a non-root host), and the preload policy: what it imports before it forks, so
that each worker starts with torch, TensorFlow and the jobs in memory (copy on write) and no
run pays for them.

Started by the server (``pool.TemplateClient``) with a minimal environment, never by forking
the server, and told which job table its workers run (``--jobs``, see ``registry``).
``--once`` makes a cold worker: no preload, no spares, one run, then exit.

    python -m explorer.sandbox.bootstrap --control-fd N --jobs MODULE [--preload] [--once]
        [--spares K --spare-slots FIRST --spare-max-age S] [--no-warm-up]

``--no-warm-up``: neither the template's warm-up (``warm_template``) nor the spares'.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from explorer.sandbox import limits, priority, registry
from explorer.sandbox.layers import thread_count
from explorer.sandbox.protocol import send_message
from explorer.sandbox.rlimits import vm_status
from explorer.sandbox.syscalls import CLONE_NEWPID, CLONE_NEWUSER, PR_SET_PDEATHSIG, libc, prctl
from explorer.sandbox.template import TemplateServer

# The sandbox's own modules a worker uses: imported too, after the job table's.
OWN_PRELOAD = ("explorer.sandbox.warm", "explorer.sandbox.worker")


def enter_user_namespace() -> bool:
    """On a non-root host: make a new user namespace, in which the template (its creator)
    holds every capability, so the pid, mount and network namespaces below can be made
    without privilege. Our own uid is the only one mapped, to itself: no process inside is
    ever uid 0, and the workers drop every capability (``privileges.apply_user``)."""
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER) != 0:
        return False
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return True



def become_pid_namespace_init() -> bool:
    """In the user namespace of a non-root host: carry on as pid 1 of a new pid namespace
    owned by it (as ``unshare --pid --fork``). Forking a worker puts it in a pid namespace of
    its own and then, with ``setns``, points the template's next children back at the
    template's own namespace; ``setns`` needs CAP_SYS_ADMIN over the user namespace that
    owns that namespace, which the template has only over one it made itself. Without this,
    a second worker would join the first's pid namespace, and once that one ended every
    fork would fail (ENOMEM). The original process waits and exits as the template does;
    the template dies with it (PDEATHSIG)."""
    if libc.unshare(CLONE_NEWPID) != 0:
        return False
    pid = os.fork()
    if pid:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops the template by kill
        _pid, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return True



def preload(jobs: str | None, threads: dict[str, int] | None = None,
            warmed: dict[str, float | str] | None = None) -> list[str]:
    """Import the job table ``jobs`` and what it names, then the sandbox's own worker
    modules, so that a fork starts with them in memory (copy on write). No op on data runs,
    so no thread pool starts; ``threads`` gets the thread count after each import (torch's
    and TensorFlow's imports start a few helper threads of their own, which no fork
    inherits; nothing after them may add one). With ``warmed`` (a dict) the table's
    ``template_warm_up`` steps run after the imports (``warm_template``), their seconds or
    failures put in it, and ``threads["template warm-up"]`` is the count after them."""
    steps: tuple = ()
    try:
        table = registry.load(jobs)
        names = [*table.preload, *OWN_PRELOAD]
        steps = table.template_warm_up
    except Exception:  # noqa: BLE001 - a table that does not import: workers report it per run
        names = list(OWN_PRELOAD)
    done = []
    for name in names:
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception:  # noqa: BLE001 - a job another engineer is writing may not import yet
            continue
        if threads is not None:
            threads[name] = thread_count()
    if warmed is not None and steps:
        warmed.update(warm_template(steps))
        if threads is not None:
            threads["template warm-up"] = thread_count()
    # Everything imported (and warmed) so far lives as long as the template: keep it out of
    # the garbage collector's sight, so that a worker's collections neither walk it nor copy
    # its pages.
    gc.collect()
    gc.freeze()
    return done


def warm_template(steps: tuple) -> dict[str, float | str]:
    """Run the job table's template warm-up steps once, on a thread that ends before any
    fork (what torch counts per thread, autograd's nodes, stays zero on this one); a failure
    only costs speed. Returns each step's seconds, or its failure."""
    done: dict[str, float | str] = {}

    def run_all() -> None:
        for name, step in steps:
            begun = time.perf_counter()
            try:
                step()
                done[name] = round(time.perf_counter() - begun, 3)
            except Exception as exc:  # noqa: BLE001 - reported in the ready message
                done[name] = f"failed: {type(exc).__name__}: {exc}"[:300]

    thread = threading.Thread(target=run_all, name="explorer-template-warm-up")
    thread.start()
    thread.join()
    task = Path(f"/proc/self/task/{thread.native_id}")
    deadline = time.monotonic() + 2.0
    while task.exists() and time.monotonic() < deadline:  # join returns before the OS thread
        time.sleep(0.001)                                  # is gone: count without it
    for name, _step in steps:
        done.setdefault(name, "failed: the warm-up thread ended early")
    return done


def memory() -> dict[str, int]:
    """This process's VmData, VmSize, VmRSS, VmPeak in MB (for the template's ready message)."""
    return {key.lower() + "_mb": value // (1 << 20) for key, value in vm_status().items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--jobs", default=None)
    parser.add_argument("--preload", action="store_true")
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--spares", type=int, default=0)
    parser.add_argument("--spare-slots", type=int, default=limits.WORKER_SLOTS)
    parser.add_argument("--spare-max-age", type=float, default=limits.SPARE_MAX_AGE_S)
    parser.add_argument("--no-warm-up", action="store_true")
    args = parser.parse_args()
    control = socket.socket(fileno=args.control_fd)
    userns = os.geteuid() != 0 and enter_user_namespace()
    if userns:
        become_pid_namespace_init()
    Path("/proc/self/oom_score_adj").write_text("500")  # before the server, after workers
    from explorer.sandbox import seccomp

    seccomp.available()  # loads libseccomp now: finding it runs ldconfig, a process
    if args.preload and not args.once:
        priority.yield_to_server()
    start = time.perf_counter()
    before = memory()
    threads: dict[str, int] = {}
    warmed: dict[str, float | str] = {}
    loaded = (preload(args.jobs, threads, None if args.no_warm_up else warmed)
              if args.preload else [])
    spares = args.spares if args.preload and not args.once else 0
    server = TemplateServer(control, args.jobs, once=args.once, preloaded=args.preload,
                            spares=spares, spare_slots=args.spare_slots,
                            spare_max_age=args.spare_max_age, warm_up=not args.no_warm_up)
    send_message(control, {"ready": True, "pid": os.getpid(), "preloaded": loaded,
                           "import_s": round(time.perf_counter() - start, 2),
                           "template_warm_up": warmed,
                           "user_namespace": userns, "memory": memory(),
                           "memory_before_imports": before, "spares": spares,
                           "threads": thread_count(), "threads_by_import": threads})
    server.serve()




if __name__ == "__main__":
    sys.exit(main())
