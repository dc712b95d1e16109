"""Who a worker runs as: an unprivileged uid of its slot (root hosts) or the server's own uid
in a user namespace, with every capability dropped, and no_new_privs."""
from __future__ import annotations

import ctypes
import os
from pathlib import Path

from explorer.sandbox.report import Report
from explorer.sandbox.syscalls import (
    PR_CAP_AMBIENT,
    PR_CAP_AMBIENT_CLEAR_ALL,
    PR_CAP_AMBIENT_RAISE,
    PR_CAPBSET_DROP,
    PR_SET_KEEPCAPS,
    PR_SET_NO_NEW_PRIVS,
    check,
    libc,
    prctl,
)

CAP_DAC_READ_SEARCH = 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522
UID_BASE = int(os.environ.get("EXPLORER_SANDBOX_UID_BASE", "61000"))


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
    # a container's root may not hold it (Docker's default set lacks it): nothing to keep, and
    # its interpreter is readable anyway (/usr/local)
    keep_read = keep_read and holds_capability(CAP_DAC_READ_SEARCH, "CapPrm")
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



def holds_capability(cap: int, kind: str = "CapEff") -> bool:
    """True if this process holds ``cap`` in its ``kind`` set (CapEff, CapPrm: the fields of
    /proc/self/status); False where that cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{kind}:"):
                return bool(int(line.split()[1], 16) >> cap & 1)
    except (OSError, ValueError):
        pass
    return False



def _drop_bounding_set(keep: int | None) -> None:
    """No capability but ``keep`` can ever be regained by this process or its children."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        if cap != keep:
            prctl(PR_CAPBSET_DROP, cap)



def keep_read_across_exec() -> bool:
    """The compiler helper: the programs it starts keep CAP_DAC_READ_SEARCH (an ambient
    capability; a uid's programs lose every capability at exec otherwise), so the compiler
    reads the interpreter's headers under a private home as the worker reads its modules.
    Landlock bounds it alike. False where this process does not hold it (nothing to keep)."""
    if not holds_capability(CAP_DAC_READ_SEARCH, "CapPrm"):
        return False
    _capset(1 << CAP_DAC_READ_SEARCH, inheritable=1 << CAP_DAC_READ_SEARCH)
    check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0),
          "prctl(PR_CAP_AMBIENT_RAISE)")
    return True



def _capset(mask: int, inheritable: int = 0) -> None:
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)(Data(mask, mask, inheritable), Data(0, 0, 0))
    check(libc.capset(ctypes.byref(Header(LINUX_CAPABILITY_VERSION_3, 0)), data), "capset")



def apply_no_new_privs(report: Report) -> None:
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    except OSError as err:
        report.add("no_new_privs", False, str(err))
        return
    report.add("no_new_privs", True, "no setuid binary or file capability can raise rights")

