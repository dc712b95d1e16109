"""The layers that confine a worker, applied in the worker itself before the user's code runs,
in an order where each one still has the rights it needs: namespaces and mounts first (they
need privilege), then rlimits, the uid drop, no_new_privs, Landlock, seccomp last.

Every layer reports whether it took; in strict mode the worker refuses to run user code when
one did not (see ``REQUIRED``). Nothing here is a Python-level filter: each layer is a kernel
mechanism that holds whatever the Python code does, ctypes included."""
from __future__ import annotations

import ctypes
import glob
import os
import resource
import sys
import tempfile
from pathlib import Path

from explorer.sandbox import landlock, seccomp
from explorer.sandbox.limits import COLD_IMPORT_MB, MB, Limits

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWNET, CLONE_NEWPID = 0x40000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_KEEPCAPS, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 8, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAP_DAC_READ_SEARCH, CAP_SYS_NICE = 2, 23
LINUX_CAPABILITY_VERSION_3 = 0x20080522
UID_BASE = int(os.environ.get("EXPLORER_SANDBOX_UID_BASE", "61000"))
PACKAGE_DIR = Path(__file__).resolve().parent.parent       # explorer/
REPO_DIR = PACKAGE_DIR.parent                               # never readable: .git, secrets
SYSTEM_READ = ["/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/localtime",
               "/sys/devices/system/cpu", "/sys/fs/cgroup", "/dev/null", "/dev/zero",
               "/dev/urandom", "/dev/random"]
# What strict mode insists on. "user" is an unprivileged uid (root hosts) or a user namespace.
REQUIRED = ("namespaces", "pid namespace", "rlimits", "environment", "user", "no_new_privs",
            "landlock", "seccomp")

_libc = ctypes.CDLL(None, use_errno=True)


class Report(dict):
    """Layer name -> {"works": bool, "detail": str}, in the order applied."""

    def add(self, name: str, works: bool, detail: str) -> bool:
        self[name] = {"works": bool(works), "detail": detail}
        return bool(works)

    def missing(self, required: tuple[str, ...] = REQUIRED) -> list[str]:
        return [name for name in required if not self.get(name, {}).get("works")]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                       data.encode() if data else None), f"mount {target}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def slot_ids(slot: int) -> tuple[int, int]:
    """The uid and gid of worker slot ``slot``: one per concurrent worker, so RLIMIT_NPROC
    counts one worker's threads and not its neighbours'."""
    return UID_BASE + slot, UID_BASE + slot


def in_user_namespace() -> bool:
    """True inside a user namespace (a non-root host's template makes one)."""
    try:
        return Path("/proc/self/uid_map").read_text().split()[:3] != ["0", "0", "4294967295"]
    except OSError:
        return False


def can_drop_uid() -> bool:
    """True for root in the initial user namespace, where any uid can be taken."""
    return os.geteuid() == 0 and not in_user_namespace()


def apply_namespaces(report: Report, run_dir: str, uid: int, gid: int, limits: Limits) -> None:
    """Private mounts, network, IPC and hostname; a fresh /proc and a tmpfs temp folder."""
    report.add("pid namespace", os.getpid() == 1,
               "own pid namespace: other processes cannot be seen or signalled"
               if os.getpid() == 1 else "not available: the template could not unshare it")
    try:
        unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
        mount("", "/", None, MS_REC | MS_PRIVATE)
        if os.getpid() == 1:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        mount("tmpfs", run_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              f"size={limits.file_mb}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}")
    except OSError as err:
        report.add("namespaces", False, f"not available: {err}")
        return
    report.add("namespaces", True, "own network (no interfaces up), mount, IPC and UTS "
               f"namespaces; a private {limits.file_mb} MB tmpfs as the temp folder")


def apply_environment(report: Report, run_dir: str) -> None:
    """No server environment, no inherited descriptors but the data channel, cwd = temp."""
    os.environ.clear()  # the template was started with a minimal environment already
    os.environ.update({"HOME": run_dir, "TMPDIR": run_dir, "PATH": "/usr/bin:/bin",
                       "LANG": "C.UTF-8", "TF_CPP_MIN_LOG_LEVEL": "2",
                       # getpass.getuser() (torch.compile's caches) reads these before it
                       # asks /etc/passwd, which knows no sandbox uid
                       "USER": "sandbox", "LOGNAME": "sandbox"})
    tempfile.tempdir = run_dir  # cached by an import in the template (AutoGraph writes here)
    os.chdir(run_dir)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    report.add("environment", True, "server environment cleared; stdin/stdout/stderr are "
               "/dev/null; working directory is the per-run temp folder")


def rlimit_table(limits: Limits, status: dict[str, int], preloaded: bool, root: bool,
                 cpu_used: float = 0.0) -> dict[int, tuple[int, int]]:
    """The rlimits of a run with ``limits``, above ``status`` (``_vm_status`` of the worker
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
    status = _vm_status()
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


def thread_count() -> int:
    """Threads of this process now (1: a forked worker before anything started one)."""
    return len(os.listdir("/proc/self/task"))


SPARE_NICE = 19


def set_session_nice(nice: int, pid: int | str = "self") -> None:
    """The nice value of a process's session (its autogroup: the kernel shares the CPU
    between sessions first, then between the threads of each). Nothing on a kernel without
    autogroups, where thread nice values are all there is."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError:
        pass


def lower_priority() -> None:
    """A spare warms up on idle CPU only, so runs in flight keep the cores; the template
    (which may raise priorities: ``can_renice``) puts it back to nice 0 before its request.
    Its session's autogroup too: the scheduler shares the CPU between sessions first, and a
    worker is a session of its own."""
    os.setpriority(os.PRIO_PROCESS, 0, SPARE_NICE)
    set_session_nice(SPARE_NICE)


TEMPLATE_NICE = 10


def yield_to_server() -> None:
    """The warm template's session (its autogroup: the kernel shares the CPU between sessions
    first) at nice 10, so its seconds of imports, which start with the server, do not slow the
    server drawing the first page. Its workers and spares start sessions of their own, at
    nice 0 (``fork``): a run is not slowed by it."""
    set_session_nice(TEMPLATE_NICE)


def can_renice() -> bool:
    """True when this process may lower nice values (root with CAP_SYS_NICE in the initial
    user namespace): only then may a spare warm up at low priority."""
    if not can_drop_uid():
        return False
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_SYS_NICE & 1)
    except (OSError, ValueError):
        pass
    return False


def renice(pid: int) -> int:
    """Process ``pid`` back to nice 0: its autogroup and every thread (Linux keeps a nice
    value per thread); returns how many threads could not be (0; one that just ended is no
    loss)."""
    set_session_nice(0, pid)
    stayed = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            os.setpriority(os.PRIO_PROCESS, int(tid), 0)
        except ProcessLookupError:
            continue
        except OSError:
            stayed += 1
    return stayed


def apply_user(report: Report, uid: int, gid: int, keep_read: bool) -> None:
    """Root: become uid ``uid`` with no capability but, when Landlock bounds it,
    CAP_DAC_READ_SEARCH, so the interpreter under a private home (/root/.pyenv) stays
    readable. Not root: the template's user namespace is the layer."""
    if not can_drop_uid():
        userns = in_user_namespace()
        if userns:  # its root inside has every capability over the namespace: drop them all
            try:
                _drop_bounding_set(keep=None)
                _capset(0)
                prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
            except OSError as err:
                report.add("user", False, f"could not drop the user namespace's capabilities: "
                           f"{err}")
                return
        report.add("user", os.geteuid() != 0 or userns,
                   f"runs as the server's own uid {os.getuid()}, in a user namespace, with no "
                   "capabilities" if userns
                   else f"runs as the server's own non-root uid {os.getuid()}")
        return
    try:
        _drop_bounding_set(keep=CAP_DAC_READ_SEARCH if keep_read else None)
        prctl(PR_SET_KEEPCAPS, 1)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        _capset(1 << CAP_DAC_READ_SEARCH if keep_read else 0)
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
        prctl(PR_SET_KEEPCAPS, 0)
    except OSError as err:
        report.add("user", False, f"could not drop root: {err}")
        return
    report.add("user", True, f"runs as uid {uid} with no capabilities"
               + (" but reading files (bounded by Landlock)" if keep_read else ""))


def _drop_bounding_set(keep: int | None) -> None:
    """No capability but ``keep`` can ever be regained by this process or its children."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        if cap != keep:
            prctl(PR_CAPBSET_DROP, cap)


def _capset(mask: int) -> None:
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)(Data(mask, mask, 0), Data(0, 0, 0))
    _check(_libc.capset(ctypes.byref(Header(LINUX_CAPABILITY_VERSION_3, 0)), data), "capset")


def read_paths() -> list[str]:
    """Everything the interpreter and the jobs may read: the Python installation, its
    packages, the explorer package, system libraries. Never the repository (.git, secrets)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(PACKAGE_DIR), *SYSTEM_READ}
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if path.is_dir() and path != REPO_DIR and path not in REPO_DIR.parents:
            paths.add(str(path))
    own_proc = os.getpid() == 1  # our own /proc shows only this worker
    paths.update(["/proc"] if own_proc else ["/proc/self", "/proc/cpuinfo", "/proc/meminfo"])
    return sorted(paths)


def apply_no_new_privs(report: Report) -> None:
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    except OSError as err:
        report.add("no_new_privs", False, str(err))
        return
    report.add("no_new_privs", True, "no setuid binary or file capability can raise rights")


CUDA_HOST_MB = 8192     # private memory a GPU run may take beyond its limit, for CUDA itself
CUDA_WRITE = ["/proc"]  # the driver writes to procfs: the worker's own /proc (pid namespace)


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
               "only in the temp folder" + (", no TCP" if abi >= 4 else "")
               + (", no signals or abstract sockets outside the worker" if abi >= 6 else "")
               + ("; the GPU's device nodes and the worker's /proc writable (a GPU run)"
                  if cuda else ""))


def apply_seccomp(report: Report, cuda: bool = False) -> None:
    if not seccomp.available():
        report.add("seccomp", False, "not available: install libseccomp2 and pyseccomp")
        return
    try:
        unknown = seccomp.install(os.getpid(), unix_sockets=cuda)
    except OSError as err:
        report.add("seccomp", False, f"could not load the filter: {err}")
        return
    report.add("seccomp", True, "no new processes, exec, ptrace, other processes' memory or "
               "signals, " + ("sockets but UNIX ones (a GPU run: CUDA's driver makes one)"
                              if cuda else "new sockets")
               + ", mounts, namespaces, BPF, io_uring"
               + (f" (unknown here: {', '.join(unknown)})" if unknown else ""))


def apply_oom(report: Report) -> None:
    try:
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError as err:
        report.add("oom", False, str(err))
        return
    report.add("oom", True, "the kernel's OOM killer picks this worker first")


def confine(run_dir: str, limits: Limits, slot: int, preloaded: bool,
            cuda: bool = False) -> Report:
    """Apply every layer to this process, in order; returns what took. ``cuda`` (a GPU run,
    always a worker of its own: CUDA does not survive the template's fork) loosens three
    layers just enough for CUDA to initialise: no address-space rlimit, the GPU's device
    nodes and the worker's own /proc writable, UNIX sockets allowed."""
    report = Report()
    prctl(PR_SET_PDEATHSIG, 9)  # the template dies -> this worker dies (SIGKILL)
    apply_oom(report)
    root = can_drop_uid()
    uid, gid = slot_ids(slot) if root else (os.getuid(), os.getgid())
    apply_namespaces(report, run_dir, uid, gid, limits)
    if not report["namespaces"]["works"]:
        os.chown(run_dir, uid, gid)
    apply_environment(report, run_dir)
    apply_rlimits(report, limits, preloaded, root, cuda)
    apply_user(report, uid, gid, keep_read=landlock.abi_version() > 0)
    apply_no_new_privs(report)
    apply_landlock(report, run_dir, cuda)
    apply_seccomp(report, cuda)
    return report


def _vm_status() -> dict[str, int]:
    """VmData, VmSize, VmRSS of this process in bytes."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmData", "VmSize", "VmRSS", "VmPeak"):
            values[key] = int(rest.split()[0]) * 1024
    return values
