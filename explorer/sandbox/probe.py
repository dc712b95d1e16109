"""The sandbox's self-test, run inside a confined worker (job ``_probe``): each check tries
what a hostile snippet would and reports whether the sandbox refused it. The server side
(``doctor``) provides the targets: a listening port, a file outside, a secret's name, its pid."""
from __future__ import annotations

import ctypes
import os
import socket
from pathlib import Path

PTRACE_ATTACH = 16


def _refused(action) -> tuple[bool, str]:
    """Run ``action``; True when it raised (the sandbox refused), with what it said."""
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - every refusal is a different exception
        return True, f"refused: {type(exc).__name__}: {exc}"[:200]
    return False, "allowed"


def _connect(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def _ptrace(pid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"ptrace: {os.strerror(number)}")


def _other_processes() -> tuple[bool, str]:
    """True when no other process can be seen: /proc shows this worker alone (its own pid
    namespace) or cannot be listed at all (Landlock, without one)."""
    try:
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    except PermissionError as err:
        return True, f"/proc cannot be listed: {err.strerror or err}"
    return not others, f"{len(others)} other processes visible in /proc"


def _status_field(name: str) -> str:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def run(request: dict) -> dict:
    checks: dict[str, dict] = {}

    def check(name: str, ok: bool, detail: str) -> None:
        checks[name] = {"ok": bool(ok), "detail": detail}

    port = int(request.get("port", 0))
    if port:
        check("network", *_refused(lambda: _connect(port)))
    outside = request.get("outside_file")
    if outside:
        check("file write outside", *_refused(lambda: Path(outside).write_text("pwned")))
    secret_file = request.get("secret_file")
    if secret_file:
        check("file read outside", *_refused(lambda: Path(secret_file).read_text()))
    inside = Path(os.environ.get("TMPDIR", ".")) / "probe.txt"
    wrote, detail = _refused(lambda: inside.write_text("ok"))
    check("file write in temp folder", not wrote, "allowed" if not wrote else detail)
    check("process", *_refused(os.fork))
    server_pid = int(request.get("server_pid", 0))
    if server_pid:
        check("signal the server", *_refused(lambda: os.kill(server_pid, 0)))
        check("read the server's /proc", *_refused(
            lambda: Path(f"/proc/{server_pid}/environ").read_bytes()))
        check("ptrace the server", *_refused(lambda: _ptrace(server_pid)))
    secret = request.get("secret_name", "")
    try:
        environ = Path("/proc/self/environ").read_bytes().decode(errors="replace")
    except PermissionError:  # a uid taken from root with no capability left: not dumpable
        environ = ""
    leaked = secret and (secret in os.environ or secret in environ)
    check("environment", not leaked, "the server's secret is not visible" if not leaked
          else "the server's secret is visible")
    check("other processes", *_other_processes())
    check("privileges", _status_field("CapEff") in ("0000000000000000", "0000000000000004"),
          f"uid {os.getuid()}, CapEff {_status_field('CapEff')}, "
          f"NoNewPrivs {_status_field('NoNewPrivs')}, Seccomp {_status_field('Seccomp')}")
    return {"status": "ok", "layers": request.get("layers", {}), "checks": checks}
