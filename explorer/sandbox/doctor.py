"""What protects user code on this host: the layers a worker could apply, and checks of their
effect (a connection, a file, a secret, a signal that must all fail). ``python -m explorer
doctor`` prints it; the About page shows it."""
from __future__ import annotations

import os
import platform
import socket
import tempfile
import threading
from pathlib import Path

from explorer.sandbox import landlock, limits, seccomp
from explorer.sandbox.privileges import can_drop_uid
from explorer.sandbox.report import required

SECRET_NAME = "EXPLORER_DOCTOR_SECRET"
_cache: dict = {}
_lock = threading.Lock()


def host() -> dict:
    """Facts about the host that decide which layers can work."""
    userns = Path("/proc/sys/user/max_user_namespaces")
    return {"kernel": platform.release(), "machine": platform.machine(),
            "root": os.geteuid() == 0, "uid_drop": can_drop_uid(),
            "landlock_abi": landlock.abi_version(), "libseccomp": seccomp.available(),
            "user_namespaces": int(userns.read_text()) if userns.exists() else 0,
            "cores": os.cpu_count()}


def probe(pool: str | None = None) -> dict:
    """Run the ``_probe`` job in a real worker, with targets it must fail to reach."""
    from explorer.sandbox.schedule import scheduler

    with tempfile.TemporaryDirectory() as folder, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        secret_file = Path(folder) / "secret.txt"
        secret_file.write_text("server secret")
        outside = Path(folder) / "written-by-worker.txt"
        os.environ[SECRET_NAME] = "doctor-canary"
        try:
            ticket = scheduler().submit(
                f"doctor-{os.getpid()}", "_probe",
                {"port": listener.getsockname()[1], "outside_file": str(outside),
                 "secret_file": str(secret_file), "server_pid": os.getpid(),
                 "secret_name": SECRET_NAME}, limits=limits.for_job("_probe", 60.0), pool=pool)
            result = ticket.result()
        finally:
            os.environ.pop(SECRET_NAME, None)
        try:
            listener.accept()
            connected = True
        except BlockingIOError:
            connected = False
        checks = result.get("checks", {})
        if "network" in checks and connected:
            checks["network"] = {"ok": False, "detail": "a connection reached the server"}
        if outside.exists():
            checks["file write outside"] = {"ok": False, "detail": "the file was written"}
    return result


def report(refresh: bool = False, pool: str | None = None) -> dict:
    """Mode, host facts, layers (works / missing, why), checks, limits, pool state (with its
    spare workers: ``["scheduler"]["pool"]["spares"]``, ``{"target", "ready", "warming"}``).
    The probe runs once per server process (it starts a worker); the pool state is live."""
    from explorer.sandbox.schedule import scheduler

    with _lock:
        if refresh or not _cache:
            result = probe(pool)
            _cache.update(host=host(), status=result.get("status"),
                          message=result.get("message"), layers=result.get("layers", {}),
                          checks=result.get("checks", {}))
    layers = _cache["layers"]
    missing = [name for name in required(layers) if not layers.get(name, {}).get("works")]
    current = limits.mode()
    return {**_cache, "mode": current, "pool": limits.choose_pool(), "missing": missing,
            "profile": profile(layers), "required": list(required(layers)),
            "runs_user_code": not (current == "strict" and missing),
            "memory_profile": limits.memory_profile(),
            "limits": {job: limits.for_job(job).to_json() for job in
                       ["default", *limits.JOB_LIMITS]},
            "scheduler": scheduler().state()}


PROFILES = {
    "namespaces": "each worker in pid, mount, network, IPC and UTS namespaces of its own",
    "no namespaces": "this host refuses new namespaces, as Docker's default seccomp profile, "
                     "Cloud Run and Community Cloud do: rlimits, a process-count limit, "
                     "no_new_privs, Landlock, seccomp and a private temp folder stand in",
}


def profile(layers: dict) -> str:
    """Which of the sandbox's two profiles the worker's confinement took."""
    return "no namespaces" if "private temp" in layers else "namespaces"


def spares_summary(spares: dict) -> str:
    """``pool.state()["spares"]`` in words: how many are ready, warming up, wanted."""
    return (f"{spares.get('ready', 0)} ready, {spares.get('warming', 0)} warming up, "
            f"of {spares.get('target', 0)}"
            + (f" (off: {spares['disabled']})" if spares.get("disabled") else ""))


def format_report(data: dict) -> str:
    """The report as text, for a terminal."""
    lines = [f"mode: {data['mode']}" + ("  (strict: a missing layer refuses to run user code)"
                                        if data["mode"] == "strict" else
                                        "  (relaxed: for a local single-user run; a hosted "
                                        "server sets EXPLORER_SANDBOX=strict)"),
             f"profile: {data['profile']} ({PROFILES[data['profile']]})",
             f"pool: {data['pool']}, memory profile: {data['memory_profile']}",
             "host: " + ", ".join(f"{k} {v}" for k, v in data["host"].items()), "", "layers:"]
    for name, layer in data["layers"].items():
        needed = "" if name in data["required"] else "  (not required)"
        lines.append(f"  {'works  ' if layer['works'] else 'MISSING'}  {name}: {layer['detail']}"
                     + needed)
    lines += ["", "checks (from inside a worker):"]
    for name, item in data["checks"].items():
        lines.append(f"  {'ok    ' if item['ok'] else 'FAILED'}  {name}: {item['detail']}")
    if data["status"] != "ok":
        lines.append(f"  probe: {data['status']}: {data.get('message')}")
    pool = data.get("scheduler", {}).get("pool", {})
    if pool.get("started"):
        lines.append(f"warm pool: template pid {pool.get('pid')}, "
                     f"{pool.get('memory', {}).get('vmrss_mb', '?')} MB resident; spares "
                     + spares_summary(pool.get("spares", {})))
    lines.append("")
    lines.append("user code: " + ("runs" if data["runs_user_code"] else
                                  "REFUSED (strict mode, missing: " + ", ".join(data["missing"])
                                  + ")"))
    return "\n".join(lines)
