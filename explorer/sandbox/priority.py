"""CPU priorities of the sandbox's processes: spares warm up on idle CPU, the template's
imports yield to the server, and a spare is put back to nice 0 before its request."""
from __future__ import annotations

import os
from pathlib import Path

from explorer.sandbox.privileges import can_drop_uid, holds_capability

CAP_SYS_NICE = 23
SPARE_NICE = 19
TEMPLATE_NICE = 10


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



def yield_to_server() -> None:
    """The warm template's session (its autogroup: the kernel shares the CPU between sessions
    first) at nice 10, so its seconds of imports, which start with the server, do not slow the
    server drawing the first page. Its workers and spares start sessions of their own, at
    nice 0 (``fork``): a run is not slowed by it."""
    set_session_nice(TEMPLATE_NICE)



def can_renice() -> bool:
    """True when this process may lower nice values (root with CAP_SYS_NICE in the initial
    user namespace): only then may a spare warm up at low priority."""
    return can_drop_uid() and holds_capability(CAP_SYS_NICE)



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

