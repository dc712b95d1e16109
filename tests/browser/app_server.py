"""Starting the app as ``make run`` does and driving Debian's Chromium: shared by the browser
tests, ``bench/app_start.py`` and ``scripts/screenshot.py``. Never a browser Playwright
downloads."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(log=subprocess.DEVNULL, timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """``streamlit run explorer/app.py`` on a free port; returns the process and its URL once
    the server answers. Raises TimeoutError (the server killed) when it does not."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "explorer/app.py", "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.05)
    stop_app(proc)
    raise TimeoutError(f"the app did not start within {timeout:.0f} s")


def stop_app(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 15)
    except ProcessLookupError:
        return
    proc.wait(timeout=30)


def launch(playwright):
    """Debian's Chromium, headless, with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def settle(page) -> None:
    """Until the app has finished running its script (no "Running..." widget)."""
    page.wait_for_timeout(500)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="hidden")
    page.wait_for_timeout(300)


def wait_for_graphs(page) -> None:
    """Until the app has finished its script and both graph viewers have drawn."""
    settle(page)
    page.locator(".gx-svg").nth(1).wait_for()


def expect_inspected(page, node: str, op: str):
    """After a click on node ``node``: the node picker names it and the inspector's table
    shows its ``op`` (a click reruns the page: the picker, then the linked line; a busy
    machine takes seconds). Returns the table."""
    from playwright.sync_api import expect

    picker = page.locator("[data-testid=stSelectbox]", has_text="Inspect a node").first
    expect(picker.locator("input")).to_have_value(node, timeout=60_000)
    details = page.get_by_test_id("stTable").first
    expect(details).to_contain_text(op, timeout=60_000)
    return details
