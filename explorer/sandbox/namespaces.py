"""Namespaces and mounts, the first layers a worker applies (they need privilege): private
mounts, network, IPC and hostname, a fresh /proc, a tmpfs temp folder; then an environment
with nothing of the server's."""
from __future__ import annotations

import os
import tempfile

from explorer.sandbox.limits import Limits
from explorer.sandbox.report import Report
from explorer.sandbox.syscalls import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWUTS,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_REC,
    mount,
    unshare,
)


def apply_namespaces(report: Report, run_dir: str, uid: int, gid: int, limits: Limits,
                     exec_dir: tuple[str, int] | None = None) -> None:
    """Private mounts, network, IPC and hostname; a fresh /proc and a tmpfs temp folder.
    ``exec_dir`` (path, MB): a tmpfs inside it without noexec, for libraries the compiler
    helper builds and the worker loads (mapped executable, never run as a program)."""
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
        if exec_dir is not None:
            os.mkdir(exec_dir[0], 0o700)
            mount("tmpfs", exec_dir[0], "tmpfs", MS_NOSUID | MS_NODEV,
                  f"size={exec_dir[1]}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}")
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
                       "USER": "sandbox", "LOGNAME": "sandbox",
                       # joblib (sklearn) would probe for a shared semaphore at import, be
                       # refused, and warn into the user's output: no process may start anyway
                       "JOBLIB_MULTIPROCESSING": "0"})
    tempfile.tempdir = run_dir  # cached by an import in the template (AutoGraph writes here)
    os.chdir(run_dir)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    report.add("environment", True, "server environment cleared; stdin/stdout/stderr are "
               "/dev/null; working directory is the per-run temp folder")

