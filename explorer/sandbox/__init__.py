"""Run a job in a child process that is used once, with a wall-clock limit.

User code never runs in the calling process (the Streamlit server or the CLI); the child
returns JSON only."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

DEFAULT_TIMEOUT = 10.0
RESULT_LIMIT = 64_000_000


def run_job(job: str, request: dict, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Run ``job`` on ``request`` in a fresh worker; always returns a dict with ``status``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "explorer.sandbox.worker"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(json.dumps({**request, "job": job}).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"status": "timeout", "elapsed_s": time.perf_counter() - start,
                "message": f"Your code ran longer than {timeout:g} s and was stopped. "
                           "Is there a loop that never ends?"}
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not out:
        return {"status": "crashed", "elapsed_s": elapsed,
                "message": f"The worker stopped (exit code {proc.returncode}) without a result."
                           + (f" {err.decode(errors='replace')[-500:]}" if err else "")}
    if len(out) > RESULT_LIMIT:
        return {"status": "output-limit", "elapsed_s": elapsed,
                "message": f"The result is {len(out):,} bytes; the limit is {RESULT_LIMIT:,}."}
    result = json.loads(out)
    result.setdefault("elapsed_s", elapsed)
    return result
