"""Landlock (Linux 5.13+) through its three system calls: a read-only view of the paths the
interpreter needs, one writable folder, and (ABI 4+) no TCP, (ABI 6+) no signals or abstract
UNIX sockets outside the sandbox.

There are no Python bindings in the standard library; the structs are small enough to
declare with ctypes. Landlock needs ``no_new_privs`` (or CAP_SYS_ADMIN) first."""
from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on all arches
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

# Filesystem rights by the ABI version that introduced them.
FS_RIGHTS = {
    1: {"execute": 1 << 0, "write_file": 1 << 1, "read_file": 1 << 2, "read_dir": 1 << 3,
        "remove_dir": 1 << 4, "remove_file": 1 << 5, "make_char": 1 << 6, "make_dir": 1 << 7,
        "make_reg": 1 << 8, "make_sock": 1 << 9, "make_fifo": 1 << 10, "make_block": 1 << 11,
        "make_sym": 1 << 12},
    2: {"refer": 1 << 13},
    3: {"truncate": 1 << 14},
    5: {"ioctl_dev": 1 << 15},
}
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1            # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = FS_RIGHTS[1]["read_file"] | FS_RIGHTS[1]["read_dir"]
READ_EXEC = READ | FS_RIGHTS[1]["execute"]
FILE_RIGHTS = (FS_RIGHTS[1]["execute"] | FS_RIGHTS[1]["write_file"] | FS_RIGHTS[1]["read_file"]
               | FS_RIGHTS[3]["truncate"] | FS_RIGHTS[5]["ioctl_dev"])

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockError(OSError):
    pass


def abi_version() -> int:
    """The kernel's Landlock ABI (0: none, or disabled at boot)."""
    version = _libc.syscall(SYS_CREATE_RULESET, None, 0, CREATE_RULESET_VERSION)
    return max(int(version), 0)


def all_fs_rights(abi: int) -> int:
    return sum(bit for version, rights in FS_RIGHTS.items() if version <= abi
               for bit in rights.values())


def restrict(read_paths: list[str], write_paths: list[str], abi: int | None = None,
             exec_paths: list[str] | None = None) -> int:
    """Confine this thread (and its future children) for good; returns the ABI used.

    ``read_paths`` may be read (and mapped executable, as the dynamic loader does);
    ``write_paths`` may also be written. Paths that do not exist are skipped. With
    ``exec_paths`` (the compiler helper, which may start programs), only those files may be
    executed (execve): ``read_paths`` and ``write_paths`` lose the execute right."""
    abi = abi_version() if abi is None else abi
    if abi < 1:
        raise LandlockError(0, "Landlock is not supported by this kernel")
    handled = all_fs_rights(abi)
    attr = _RulesetAttr(handled_access_fs=handled,
                        handled_access_net=(NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0,
                        scoped=(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0)
    # Older kernels accept the larger struct as long as the fields they lack are zero.
    ruleset = _libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0)
    if ruleset < 0:
        raise LandlockError(ctypes.get_errno(), "landlock_create_ruleset failed")
    execute = FS_RIGHTS[1]["execute"]
    rules = [(read_paths, READ_EXEC), (write_paths, handled)]
    if exec_paths is not None:
        rules = [(read_paths, READ), (write_paths, handled & ~execute),
                 (exec_paths, READ_EXEC)]
    try:
        for paths, rights in rules:
            for path in paths:
                _add_path(int(ruleset), path, rights)
        if _libc.syscall(SYS_RESTRICT_SELF, int(ruleset), 0) < 0:
            raise LandlockError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(int(ruleset))
    return abi


def _add_path(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):  # directory-only rights are refused on a file
            rights &= FILE_RIGHTS
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        if _libc.syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0) < 0:
            raise LandlockError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)
