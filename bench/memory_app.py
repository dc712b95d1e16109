"""Benchmark (run by hand): the memory of the real app, ``streamlit run explorer/app.py`` with
browser sessions open, PSS summed over the server's process tree (Streamlit, the warm template,
its spares, the workers of runs in flight; not the browser), for each memory profile.

    .venv/bin/python bench/memory_app.py [--profile default|small|both] [--sessions 2]

bench/memory.py measures a stand-in server (the server's imports, no Streamlit session); this
one starts the app as ``make run`` does, in strict mode, opens ``--sessions`` pages in Debian's
Chromium (each runs the default lesson when it opens), waits until the tree is quiet (the
spares are back, the lessons' precomputation done: no change in its processes or in 20 MB of
PSS for 5 s), measures *idle*, then presses Run on every page at once with a different seed
each (no result cache answers) and samples every 0.1 s until both pages show their graphs again:
the peak is *runs in flight*.

Targets (issue 14): the small profile idles under 1.2 GB and stays under 2.5 GB with two runs
in flight."""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from memory import TARGETS_MB, Peak, tree, tree_pss  # noqa: E402

from tests.browser.app_server import launch, start_app, stop_app, wait_for_graphs  # noqa: E402


def quiet(pid: int, hold_s: float = 5.0, timeout: float = 240.0) -> dict:
    """The tree's PSS once its processes and PSS have held still for ``hold_s``."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        now = tree_pss(pid)
        if last is None or now["processes"] != last["processes"] \
                or abs(now["total_mb"] - last["total_mb"]) > 20:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= hold_s:
            return now
        time.sleep(0.5)
    return {**tree_pss(pid), "note": "never quiet"}


def measure(profile: str, sessions: int) -> dict:
    from playwright.sync_api import sync_playwright

    os.environ.update({"EXPLORER_MEMORY": profile, "EXPLORER_SANDBOX": "strict"})
    os.environ.pop("EXPLORER_SPARES", None)
    proc, url = start_app(timeout=120)
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            pages = [browser.new_page(viewport={"width": 1400, "height": 1000})
                     for _ in range(sessions)]
            for page in pages:
                page.set_default_timeout(240_000)  # a loaded machine's first runs are slow
                page.goto(url)
            for page in pages:
                wait_for_graphs(page)
            idle = quiet(proc.pid)
            for seed, page in enumerate(pages, start=101):
                box = page.locator("input[aria-label='Seed']")
                if box.count():
                    box.first.fill(str(seed))
                    box.first.press("Tab")
            with Peak(proc.pid) as peak:
                began = time.monotonic()
                for page in pages:
                    page.get_by_role("button", name=re.compile("^Run")).click()
                for page in pages:
                    wait_for_graphs(page)
                took = time.monotonic() - began
            browser.close()
    finally:
        stop_app(proc)
    return {"profile": profile, "sessions": sessions, "idle": idle, "peak": peak.value,
            "runs_s": round(took, 1), "left": len(tree(proc.pid))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["default", "small", "both"], default="both")
    parser.add_argument("--sessions", type=int, default=2)
    args = parser.parse_args()
    profiles = ["default", "small"] if args.profile == "both" else [args.profile]
    print(f"load: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for profile in profiles:
        row = measure(profile, args.sessions)
        idle, peak = row["idle"]["total_mb"], row["peak"]["total_mb"]
        verdict = ("met" if idle < TARGETS_MB["idle"] and peak < TARGETS_MB["two runs"]
                   else "MISSED")
        print(f"{profile:8} {row['sessions']} sessions: idle {idle} MB "
              f"({row['idle']['processes']} processes, Streamlit {row['idle']['server_mb']} MB"
              f"{', ' + row['idle']['note'] if 'note' in row['idle'] else ''}), "
              f"runs in flight {peak} MB ({row['peak'].get('processes', 0)} processes), "
              f"both pages redrawn in {row['runs_s']} s"
              + (f"  [small targets: {verdict}]" if profile == "small" else ""))


if __name__ == "__main__":
    main()
