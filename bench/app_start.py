"""App start to first page, as a visitor sees it: ``streamlit run explorer/app.py`` until the
server answers, until the explorer page has drawn (title, lesson, editor), and until both
graphs of the default lesson are on screen (this one includes the sandbox's warm template,
started in the background when the server starts). Budget (DESIGN.md): first page under 3 s.

Run by hand: ``.venv/bin/python bench/app_start.py [--repeat 3]`` (needs Debian's chromium).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.app_server import launch, start_app, stop_app  # noqa: E402


def one_start(browser) -> tuple[float, float, float]:
    start = time.perf_counter()
    server, url = start_app()
    try:
        serving = time.perf_counter() - start
        page = browser.new_page(viewport={"width": 1500, "height": 1900})
        page.goto(url)
        page.get_by_text("Graph Explorer").first.wait_for(timeout=120_000)
        page.locator("iframe[title*=code_editor]").first.wait_for(timeout=120_000)
        first_page = time.perf_counter() - start
        page.locator(".gx-svg").nth(1).wait_for(timeout=120_000)
        graphs = time.perf_counter() - start
        page.close()
        return serving, first_page, graphs
    finally:
        stop_app(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        runs = [one_start(browser) for _ in range(args.repeat)]
        browser.close()
    for name, i in (("server answers", 0), ("first page drawn", 1), ("both graphs drawn", 2)):
        values = [r[i] for r in runs]
        print(f"{name:<18} p50 {statistics.median(values):5.2f} s   "
              f"({', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
