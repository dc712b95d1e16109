"""Benchmark (run by hand): the memory of a whole server, PSS summed over its process tree (the
server, the warm template, its spares, the workers of runs in flight), idle and with two runs
in flight, for each memory profile (``$EXPLORER_MEMORY``: default, small).

    .venv/bin/python bench/memory.py [--profile default|small|both] [--json]

Each profile runs in a fresh server process of its own (``serve`` below): it imports what the
Streamlit server imports (streamlit, the explorer package and its pages' modules) and starts
the scheduler and its warm pool as ``explorer/app.py`` does, then waits until every spare is
ready: that is *idle*. Then two runs go in at once and the tree is sampled every 0.1 s until
both are done; the peak is *two runs in flight*. Two kinds of run: ``lesson`` (the explore job
on the recursion lesson: torch graph and the TensorFlow twin) and ``hold`` (a run that holds as
much memory as its limit allows, minus 64 MB, for 3 s: the worst a run may do). PSS splits the
pages a fork shares (torch, TensorFlow: copy on write) between the processes that map them,
so the sum counts each page once.

Targets (issue 14): the small profile idles under 1.2 GB and stays under 2.5 GB with two runs
in flight."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS_MB = {"idle": 1200, "two runs": 2500}


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree(root: int) -> list[int]:
    """``root`` and every descendant (through /proc/PID/task/*/children)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                todo += [int(child) for child in text.split()]
        except OSError:
            continue
    return found


def tree_pss(root: int) -> dict:
    parts = {pid: pss_mb(pid) for pid in tree(root)}
    return {"total_mb": round(sum(parts.values())), "processes": len(parts),
            "server_mb": round(parts.get(root, 0.0))}


class Peak:
    """The largest ``tree_pss`` of ``pid``'s tree, sampled every 0.1 s on a thread while in
    the ``with`` block (``.value`` after it)."""

    def __init__(self, pid: int):
        self.pid, self.value, self._stop = pid, {"total_mb": 0}, threading.Event()
        self._thread = threading.Thread(target=self._sample)

    def _sample(self) -> None:
        while not self._stop.is_set():
            now = tree_pss(self.pid)
            if now["total_mb"] > self.value["total_mb"]:
                self.value = now
            time.sleep(0.1)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def serve(kind: str) -> None:
    """The server stand-in (a child process): warm pool, then two runs on a signal."""
    import streamlit  # noqa: F401  (the server's own imports)

    from explorer import jobs, lessons, render, sandbox  # noqa: F401
    from explorer.sandbox import limits

    sandbox.registry.use(jobs.TABLE)
    scheduler = sandbox.scheduler()
    scheduler.warm_up()
    scheduler.pool.wait_spares(timeout=300)
    print(json.dumps({"ready": True, "spares": scheduler.pool.spares}), flush=True)
    sys.stdin.readline()
    run_mb = limits.for_job("run").memory_mb
    if kind == "hold":
        job, code = "run", f"""import torch, time
held = torch.ones({(run_mb - 64) * (1 << 20) // 4})
def inputs():
    return torch.ones(2, requires_grad=True)
def forward(x):
    time.sleep(3)
    return x.sum()
"""
    else:
        job, code = "explore", lessons.get("tree_recursion").code
    tickets = [scheduler.submit(f"bench-{i}", job, {"code": code}, timeout=60)
               for i in range(2)]
    statuses = [ticket.result()["status"] for ticket in tickets]
    print(json.dumps({"done": statuses, "run_mb": run_mb}), flush=True)
    sys.stdin.readline()
    scheduler.shutdown()


def measure(profile: str, kind: str) -> dict:
    env = {**os.environ, "EXPLORER_MEMORY": profile, "EXPLORER_SANDBOX": "strict"}
    env.pop("EXPLORER_SPARES", None)
    server = subprocess.Popen([sys.executable, __file__, "--serve", kind], cwd=REPO, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready = json.loads(server.stdout.readline())
        time.sleep(2.0)  # settle: the spares just wrote their ready lines
        idle = tree_pss(server.pid)
        with Peak(server.pid) as peak:
            server.stdin.write("go\n")
            server.stdin.flush()
            done = json.loads(server.stdout.readline())
        server.stdin.write("end\n")
        server.stdin.flush()
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    return {"profile": profile, "run": kind, "spares": ready["spares"],
            "run_limit_mb": done["run_mb"], "statuses": done["done"], "idle": idle,
            "two_runs_peak": peak.value}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["default", "small", "both"], default="both")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", choices=["lesson", "hold"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve)
    profiles = ["default", "small"] if args.profile == "both" else [args.profile]
    rows = [measure(profile, kind) for profile in profiles for kind in ("lesson", "hold")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return None
    print(f"load: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for row in rows:
        idle, peak = row["idle"]["total_mb"], row["two_runs_peak"]["total_mb"]
        print(f"{row['profile']:8} {row['run']:6} spares {row['spares']}, run limit "
              f"{row['run_limit_mb']} MB: idle {idle} MB ({row['idle']['processes']} processes,"
              f" server {row['idle']['server_mb']} MB), two runs in flight {peak} MB "
              f"({row['two_runs_peak']['processes']} processes) {row['statuses']}"
              + ("  [small targets: " + ("met" if idle < TARGETS_MB["idle"]
                                         and peak < TARGETS_MB["two runs"] else "MISSED") + "]"
                 if row["profile"] == "small" else ""))
    return None


if __name__ == "__main__":
    main()
