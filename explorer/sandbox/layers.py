"""The layers that confine a worker, applied in the worker itself before the user's code runs,
in an order where each one still has the rights it needs: namespaces and mounts first (they
need privilege), then rlimits, the uid drop, no_new_privs, Landlock, seccomp last.

Every layer reports whether it took; in strict mode the worker refuses to run user code when
one did not (``report.REQUIRED``). Nothing here is a Python-level filter: each layer is a
kernel mechanism that holds whatever the Python code does, ctypes included. The layers live
in modules of their own (``namespaces``, ``rlimits``, ``privileges``); this one orders them
and owns the file-system (Landlock), system-call (seccomp) and OOM ones.

Two profiles. Where the host lets the template make namespaces, each worker gets its own pid,
mount, network, IPC and UTS namespaces and a tmpfs. Where it refuses them (Docker's default
seccomp profile, Cloud Run, Community Cloud, Kubernetes by default), the other layers stand in:
a private temp folder the template watches, a process-count limit that holds for a uid shared
with the server, Landlock hiding other processes' /proc (and, ABI 6+, scoping signals and
abstract sockets), seccomp refusing IPC and F_SETOWN on top of its usual list. Strict mode
holds each profile to its own layers (``report.required``)."""
from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

from explorer.sandbox import compiler as compiler_helper
from explorer.sandbox import landlock, seccomp
from explorer.sandbox.limits import Limits
from explorer.sandbox.namespaces import apply_environment, apply_namespaces
from explorer.sandbox.privileges import (
    apply_no_new_privs,
    apply_user,
    can_drop_uid,
    in_user_namespace,
    slot_ids,
)
from explorer.sandbox.report import Report
from explorer.sandbox.rlimits import apply_process_limit, apply_rlimits
from explorer.sandbox.syscalls import PR_SET_PDEATHSIG, prctl
from explorer.sandbox.tempfolder import apply_private_temp

PACKAGE_DIR = Path(__file__).resolve().parent.parent       # explorer/
REPO_DIR = PACKAGE_DIR.parent                               # never readable: .git, secrets
SYSTEM_READ = ["/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/localtime",
               "/sys/devices/system/cpu", "/sys/fs/cgroup", "/dev/null", "/dev/zero",
               "/dev/urandom", "/dev/random"]
CUDA_WRITE = ["/proc"]  # the driver writes to procfs: the worker's own /proc (pid namespace)


def thread_count() -> int:
    """Threads of this process now (1: a forked worker before anything started one)."""
    return len(os.listdir("/proc/self/task"))



def read_paths() -> list[str]:
    """Everything the interpreter and the jobs may read: the Python installation, its
    packages, the explorer package, system libraries. Never the repository (.git, secrets)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(PACKAGE_DIR), *SYSTEM_READ}
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        try:  # a uid without Landlock's read right (no Landlock) may not see a private home
            folder = path.is_dir()
        except OSError:
            continue
        if folder and path != REPO_DIR and path not in REPO_DIR.parents:
            paths.add(str(path))
    own_proc = os.getpid() == 1  # our own /proc shows only this worker
    paths.update(["/proc"] if own_proc else ["/proc/self", "/proc/cpuinfo", "/proc/meminfo"])
    return sorted(paths)



def apply_landlock(report: Report, run_dir: str, cuda: bool = False) -> None:
    """``cuda``: the GPU's device nodes may be opened for writing (and ioctl) too, and the
    worker's own /proc; measured on an H100 host, CUDA initialises with nothing less."""
    writable = [run_dir, "/dev/null"]
    readable = read_paths()
    if cuda:
        writable += sorted(glob.glob("/dev/nvidia*")) + CUDA_WRITE
        readable += ["/sys"]
    try:
        abi = landlock.restrict(readable, writable)
    except OSError as err:
        report.add("landlock", False, f"not available: {err}")
        return
    report.add("landlock", True, f"ABI {abi}: read-only Python and system libraries, writes "
               "only in the temp folder, no other process's /proc" + (", no TCP" if abi >= 4
                                                                      else "")
               + ("; the GPU's device nodes and the worker's /proc writable (a GPU run)"
                  if cuda else ""))
    report.add("landlock scope", abi >= 6, "no signal and no abstract UNIX socket reaches a "
               "process outside the worker" if abi >= 6 else f"not in this kernel (Landlock "
               f"ABI {abi} < 6); not required: seccomp refuses signals to other processes and "
               "every new socket")



def apply_seccomp(report: Report, cuda: bool = False, no_namespaces: bool = False) -> None:
    if not seccomp.available():
        report.add("seccomp", False, "not available: install libseccomp2 and pyseccomp")
        return
    try:
        unknown = seccomp.install(os.getpid(), unix_sockets=cuda, no_namespaces=no_namespaces)
    except OSError as err:
        report.add("seccomp", False, f"could not load the filter: {err}")
        return
    report.add("seccomp", True, "no new processes, exec, ptrace, other processes' memory or "
               "signals, " + ("sockets but UNIX ones (a GPU run: CUDA's driver makes one)"
                              if cuda else "new sockets")
               + ", mounts, namespaces, BPF, io_uring"
               + (", System V and POSIX IPC, F_SETOWN (signals by I/O)" if no_namespaces else "")
               + (f" (unknown here: {', '.join(unknown)})" if unknown else ""))



def apply_oom(report: Report) -> None:
    try:
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError as err:
        report.add("oom", False, str(err))
        return
    report.add("oom", True, "the kernel's OOM killer picks this worker first")



def confine(run_dir: str, limits: Limits, slot: int, preloaded: bool,
            cuda: bool = False, compiler: bool = False) -> Report:
    """Apply every layer to this process, in order; returns what took. ``cuda`` (a GPU run,
    always a worker of its own: CUDA does not survive the template's fork) loosens three
    layers just enough for CUDA to initialise: no address-space rlimit, the GPU's device
    nodes and the worker's own /proc writable, UNIX sockets allowed. ``compiler`` (a
    training run that measures torch.compile) forks the compiler helper (``compiler``)
    just before the worker's own Landlock and seccomp."""
    report = Report()
    prctl(PR_SET_PDEATHSIG, 9)  # the template dies -> this worker dies (SIGKILL)
    apply_oom(report)
    root = can_drop_uid()
    uid, gid = slot_ids(slot) if root else (os.getuid(), os.getgid())
    exec_dir = (compiler_helper.output_dir(run_dir), compiler_helper.OUTPUT_MB) \
        if compiler else None
    apply_namespaces(report, run_dir, uid, gid, limits, exec_dir)
    no_namespaces = not report["namespaces"]["works"]
    if no_namespaces:  # the profile for hosts that refuse them (``report.required``)
        apply_private_temp(report, run_dir, uid, gid, limits)
    apply_environment(report, run_dir)
    apply_rlimits(report, limits, preloaded, root, cuda)
    apply_process_limit(report, limits, root, shared_uid=not root and not in_user_namespace())
    apply_user(report, uid, gid, keep_read=landlock.abi_version() > 0)
    apply_no_new_privs(report)
    if compiler:
        compiler_helper.start(report, run_dir, read_paths(), no_namespaces)
    apply_landlock(report, run_dir, cuda)
    apply_seccomp(report, cuda, no_namespaces)
    return report

