"""Run a command the way a managed container platform would: under a seccomp filter that
refuses new namespaces, as Docker's default profile does for a process without CAP_SYS_ADMIN
(``unshare``, ``setns`` and ``clone`` with any CLONE_NEW* flag fail with EPERM, ``clone3``
with ENOSYS so that glibc falls back to ``clone``), optionally as another uid. The filter holds
for the whole process tree the command starts (seccomp filters are inherited and cannot be
removed).

    python scripts/without_namespaces.py [--user UID:GID] [--also-refuse CALL]
        [--keep-caps CHOWN,SETUID,...] -- COMMAND...

``--keep-caps`` drops every other capability from the bounding set first, so that a root
command holds only those; ``--keep-caps docker`` keeps Docker's default set (no CAP_SYS_ADMIN,
no CAP_DAC_READ_SEARCH), as a container's root has it.

Used by tests/test_hosting_no_namespaces.py; by hand, it shows what a hosted server's About
page would say: ``python scripts/without_namespaces.py -- .venv/bin/python -m explorer doctor``.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys

CLONE_NEW = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000,
             "CLONE_NEWUTS": 0x04000000, "CLONE_NEWIPC": 0x08000000,
             "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
             "CLONE_NEWNET": 0x40000000, "CLONE_NEWTIME": 0x00000080}


def refuse_namespaces(also: list[str] = ()) -> None:
    """Load the filter into this process (and every process it will start); the calls in
    ``also`` fail with ENOSYS too (a host whose kernel lacks them: Landlock's, say)."""
    import pyseccomp as sc

    rules = sc.SyscallFilter(sc.ALLOW)
    for name in also:
        rules.add_rule(sc.ERRNO(errno.ENOSYS), name)
    for name in ("unshare", "setns"):
        rules.add_rule(sc.ERRNO(errno.EPERM), name)
    for flag in CLONE_NEW.values():
        rules.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    # libseccomp sets no_new_privs first, which an unprivileged process needs; root (as in a
    # container) loads the filter without it, as Docker does
    rules.set_attr(sc.Attr.CTL_NNP, 0 if os.geteuid() == 0 else 1)
    rules.load()


CAPS = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
        "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
        "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
        "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
        "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
        "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]  # by number
PR_CAPBSET_DROP = 24
# Docker's default capabilities (moby's oci/caps/defaults.go), what `--keep-caps docker` keeps
DOCKER_CAPS = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
               "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
               "AUDIT_WRITE"]


def keep_only(keep: list[str]) -> None:
    """Drop from the bounding set every capability not in ``keep``: what a command started
    after this may hold, root or not."""
    import ctypes

    unknown = set(keep) - set(CAPS)
    if unknown:
        raise SystemExit(f"unknown capabilities: {sorted(unknown)}")
    libc = ctypes.CDLL(None, use_errno=True)
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for number in range(last + 1):
        held = number < len(CAPS) and CAPS[number] in keep
        if not held and libc.prctl(PR_CAPBSET_DROP, number, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"cannot drop capability {number}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", help="UID:GID to run the command as (from root)")
    parser.add_argument("--also-refuse", action="append", default=[], metavar="SYSCALL",
                        help="a system call to refuse too, with ENOSYS (repeatable)")
    parser.add_argument("--keep-caps", help="comma-separated capabilities to keep (from root), "
                                            "or `docker`: Docker's default set")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"] if args.command[:1] == ["--"] \
        else args.command
    if not command:
        parser.error("no command")
    if args.keep_caps:
        keep_only(DOCKER_CAPS if args.keep_caps == "docker" else args.keep_caps.split(","))
    refuse_namespaces(args.also_refuse)
    if args.user:
        uid, _, gid = args.user.partition(":")
        os.setgroups([])
        os.setresgid(int(gid or uid), int(gid or uid), int(gid or uid))
        os.setresuid(int(uid), int(uid), int(uid))
    os.execvp(command[0], command)
    return 127


if __name__ == "__main__":
    sys.exit(main())
