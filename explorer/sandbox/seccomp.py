"""A seccomp filter through libseccomp's Python interface (``pyseccomp``): the system calls a
worker never needs fail with EPERM.

A deny-list, not an allow-list: torch and TensorFlow use a wide, version-dependent set of
calls, and every call here is a way out of the sandbox (new processes, other processes'
memory, sockets, namespaces, mounts, kernel interfaces). The other layers (Landlock,
namespaces, rlimits, an unprivileged uid) still hold where a call is allowed."""
from __future__ import annotations

import errno
import socket

CLONE_THREAD = 0x00010000

# Calls that fail with EPERM whatever their arguments, grouped by what they would reach.
DENIED = {
    "process": ["fork", "vfork", "execve", "execveat"],
    "other processes": ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
                        "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "tkill"],
    "namespaces and mounts": ["unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
                              "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
                              "fspick", "mount_setattr"],
    "identity": ["setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
                 "setgroups", "setfsuid", "setfsgid", "capset"],
    "kernel": ["bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
               "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
               "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "settimeofday",
               "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
               "iopl", "ioperm", "vhangup", "open_by_handle_at", "name_to_handle_at",
               "io_uring_setup", "io_uring_enter", "io_uring_register"],
}
# Without namespaces (``no_namespaces``), the IPC namespace no longer keeps a worker's System V
# and POSIX IPC apart from the server's and the other workers': none at all.
IPC = ["shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
       "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
       "mq_timedreceive", "mq_notify", "mq_getsetattr"]
F_SETOWN, F_SETSIG, F_SETOWN_EX = 8, 10, 15   # fcntl: SIGIO/SIGURG sent to another process


def available() -> bool:
    """True when libseccomp and its Python interface load."""
    try:
        import pyseccomp  # noqa: F401  (loads libseccomp.so.2 through ctypes)
    except (ImportError, OSError, AttributeError):
        return False
    return True


def install(own_pid: int, unix_sockets: bool = False, no_namespaces: bool = False,
            processes: bool = False) -> list[str]:
    """Load the filter into this process for good; returns the calls libseccomp did not know.

    Signals go only to ``own_pid`` (the worker itself); threads may be created (torch and
    TensorFlow need their pools) but not processes; no new socket (``unix_sockets``: none
    but UNIX ones). ``no_namespaces``: no IPC, and no fcntl that would have the kernel signal
    another process (F_SETOWN), which a pid namespace used to stop. ``processes`` (the
    compiler helper only): fork and exec are allowed, Landlock bounding what may be run."""
    import pyseccomp as sc

    deny = sc.ERRNO(errno.EPERM)
    rules = sc.SyscallFilter(sc.ALLOW)
    unknown = []

    def add(action: int, name: str, *args: object) -> None:
        try:
            rules.add_rule(action, name, *args)
        except (OSError, ValueError, RuntimeError):
            unknown.append(name)  # a call this libseccomp or arch does not know

    for group, names in DENIED.items():
        for name in names if group != "process" or not processes else ():
            add(deny, name)
    if not processes:
        add(deny, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))  # a process, not a thread
        add(sc.ERRNO(errno.ENOSYS), "clone3")  # its flags are in memory: glibc uses clone
    # No new socket at all, UNIX ones included: on a non-root host the worker has the
    # server's uid, so file permissions would not stop it connecting (or sending datagrams)
    # to the host's UNIX sockets, and Landlock does not cover connect(). Its one channel to
    # the server is made before; socketpair() (a connected pair, reaching nothing) stays.
    if unix_sockets:  # a GPU run: CUDA's driver will not start without one
        add(deny, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    else:
        add(deny, "socket")
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        add(deny, name, sc.Arg(0, sc.NE, own_pid))
    if no_namespaces:
        for name in IPC:
            add(deny, name)
        for command in (F_SETOWN, F_SETSIG, F_SETOWN_EX):
            add(deny, "fcntl", sc.Arg(1, sc.EQ, command))
    rules.load()
    return unknown
