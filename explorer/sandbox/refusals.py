"""What a refused resource looks like to the user: a run whose error was really the sandbox
saying no becomes ``memory`` (an allocation the limits refused) or ``blocked`` (with what:
file, network, process, system call), told in the user's terms.

The verdict is read from the exception's facts (``facts``: its class and bases by name, its
errno), as fields of the error result: ``error_types`` and ``errno``. An error result without
them (a job that reports only ``error_type`` and ``message``) is read as before, from the
type's name and the message's text (``LEGACY_MEMORY``, ``LEGACY_BLOCKED``)."""
from __future__ import annotations

import errno
import re

# Types that are a refusal whatever their message; torch's and TensorFlow's by name (the
# sandbox imports neither): value = what was refused (None: ask the audit, then the errno).
MEMORY_TYPES = {"MemoryError", "OutOfMemoryError", "ResourceExhaustedError"}
BLOCKED_TYPES = {"PermissionError": None, "PermissionDeniedError": "file",
                 "BlockingIOError": "process"}
ERRNO_VERDICTS = {errno.ENOMEM: ("memory", None), errno.EPERM: ("blocked", None),
                  errno.EACCES: ("blocked", None), errno.ENETUNREACH: ("blocked", "network"),
                  errno.EFBIG: ("blocked", "file"), errno.EAGAIN: ("blocked", "process")}
# Refusals that reach the user's code with neither a type nor an errno of their own (torch's
# C++ allocator and CPython's thread start raise a plain RuntimeError): the only text read
# when facts are given.
TYPELESS = ((re.compile(r"can't allocate memory|std::bad_alloc"), ("memory", None)),
            (re.compile(r"can't start new thread"), ("blocked", "process")))

LEGACY_MEMORY = re.compile(r"MemoryError|can't allocate memory|Cannot allocate memory|"
                           r"\[Errno 12\]|out of memory|ResourceExhausted|std::bad_alloc")
LEGACY_BLOCKED = re.compile(r"PermissionError|PermissionDenied|Permission denied|Operation not "
                            r"permitted|\[Errno (1|13|101|27)\]|Network is unreachable|File too "
                            r"large|can't start new thread|Resource temporarily unavailable")

# Audit events (PEP 578) that name what the refused operation was; diagnostics only, the
# boundary is the kernel's.
EVENT_KINDS = {"open": "file", "os.": "file", "shutil.": "file", "tempfile.": "file",
               "socket.": "network", "urllib.": "network", "http.": "network",
               "os.fork": "process", "os.forkpty": "process", "os.system": "process",
               "os.exec": "process", "os.posix_spawn": "process", "os.spawn": "process",
               "subprocess.": "process", "os.kill": "process", "os.killpg": "process",
               "_thread.start_new_thread": "process", "ctypes.": "system call"}

WHAT = {"file": "use a file outside its temporary folder (or past its size limit)",
        "network": "use the network", "process": "start or signal a process or thread",
        "system call": "make a system call the sandbox forbids"}


class Audit:
    """The last sensitive operation the user's code asked for, by kind."""

    def __init__(self) -> None:
        self.last: tuple[str, str] | None = None

    def __call__(self, event: str, args: tuple) -> None:
        kind = EVENT_KINDS.get(event) or next(
            (k for prefix, k in EVENT_KINDS.items() if prefix.endswith(".")
             and event.startswith(prefix)), None)
        if kind:
            detail = str(args[0])[:200] if args else ""
            self.last = (kind, f"{event} {detail}".strip())



def facts(exc: BaseException) -> dict:
    """The fields of an error result that decide whether ``exc`` was a refusal."""
    bases = [c.__name__ for c in type(exc).__mro__ if c not in (object, BaseException)]
    number = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    return {"error_types": bases, "errno": number if isinstance(number, int) else None}


def _from_facts(result: dict, audit: Audit | None) -> tuple[str, str | None] | None:
    """(status, what) from the result's ``error_types`` and ``errno``; None: not refused."""
    types = result.get("error_types") or [result.get("error_type") or ""]
    if MEMORY_TYPES & set(types):
        return "memory", None
    verdict = ERRNO_VERDICTS.get(result.get("errno"))
    blocked = next((t for t in types if t in BLOCKED_TYPES), None)
    if verdict is None and blocked is not None:
        verdict = ("blocked", BLOCKED_TYPES[blocked])
    if verdict is None:
        message = result.get("message") or ""
        verdict = next((v for pattern, v in TYPELESS if pattern.search(message)), None)
    if verdict is None or verdict[0] == "memory":
        return verdict
    what = verdict[1]
    if what is None and audit is not None and audit.last:
        what = audit.last[0]  # the last sensitive operation the user's code asked for
    if what is None and "ConnectionError" in types:
        what = "network"
    return "blocked", what or "system call"


def _from_text(result: dict, audit: Audit | None) -> tuple[str, str | None] | None:
    """(status, what) read from the type's name and the message (a result without facts)."""
    text = f"{result.get('error_type') or ''} {result.get('message') or ''}"
    if LEGACY_MEMORY.search(text):
        return "memory", None
    if not LEGACY_BLOCKED.search(text):
        return None
    kind = "process" if "thread" in text or "Resource temporarily" in text else None
    if kind is None and audit is not None and audit.last \
            and audit.last[0] in ("process", "network"):
        kind = audit.last[0]  # the last process or network operation asked for
    if kind is None and re.search(r"Errno 1[3]?\] .*: '|file|PermissionDenied|Network|"
                                  r"socket", text):
        kind = "network" if re.search(r"Network|socket", text) else "file"
    return "blocked", kind or "system call"


def classify(result: dict, audit: Audit | None) -> dict:
    """Turn a user ``error`` that was really a refused resource into ``memory``/``blocked``."""
    if result.get("status") != "error":
        return result
    explicit = "error_types" in result or "errno" in result
    verdict = (_from_facts if explicit else _from_text)(result, audit)
    if verdict is None:
        return result
    status, what = verdict
    if status == "memory":
        return {**result, "status": "memory",
                "message": "Your code asked for more memory than a run may use. "
                           + (result.get("message") or "")}
    return {**result, "status": "blocked", "blocked": what,
            "message": f"The sandbox refused your code's attempt to {WHAT[what]}. "
                       + (result.get("message") or "")}
