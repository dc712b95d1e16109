"""The stepper's Play, as a visitor sees it: lesson 03 (24 steps), Play pressed, the time
between one step's caption and the next's (the fragment's 0.7 s tick plus one whole-page
redraw: editor mark, both graphs), against the same redraw moved by hand (the slider's
arrow key, no timer), in the same browser and server. What Play adds over the tick is then
one page redraw per step, measured, not assumed.

Run by hand: ``.venv/bin/python bench/stepper_play.py [--steps 10]`` (needs Debian's
chromium); say the load (``uptime``) with the figures.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.app_server import launch, settle, start_app, stop_app  # noqa: E402

CAPTION = re.compile(r"^step (\d+) of \d+ \u00b7")


def step_now(page) -> int | None:
    try:
        return int(CAPTION.match(page.get_by_text(CAPTION).inner_text(timeout=200)).group(1))
    except Exception:  # being redrawn
        return None


def wait_step(page, want: int, timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if step_now(page) == want:
            return time.perf_counter()
        page.wait_for_timeout(20)
    raise TimeoutError(f"step {want} did not come")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server, url = start_app()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1500, "height": 1900})
            page.set_default_timeout(300_000)
            page.goto(f"{url}/?lesson=variable_length_rnn&seed=0")
            page.locator(".gx-svg").nth(1).wait_for()
            settle(page)
            page.get_by_text("Step through forward").click()
            settle(page)
            slider = page.get_by_role("slider").first
            by_hand = []
            for k in range(1, args.steps + 1):  # the reference: one redraw per key press
                slider.focus()
                start = time.perf_counter()
                page.keyboard.press("ArrowRight")
                by_hand.append(wait_step(page, k + 1) - start)
            settle(page)
            slider.focus()
            page.keyboard.press("Home")
            wait_step(page, 1)
            settle(page)
            page.get_by_role("button", name=re.compile("Play")).click()
            times = [wait_step(page, k) for k in range(2, args.steps + 2)]
            page.get_by_role("button", name=re.compile("Pause")).click()
            browser.close()
    finally:
        stop_app(server)
    gaps = [b - a for a, b in zip(times, times[1:])]
    print(f"redraw by hand (arrow key -> caption): median {statistics.median(by_hand):.2f} s, "
          f"max {max(by_hand):.2f} s over {len(by_hand)} steps")
    print(f"playing, step -> next step: median {statistics.median(gaps):.2f} s, "
          f"max {max(gaps):.2f} s over {len(gaps)} gaps (tick 0.7 s)")
    print(f"play's gap minus the tick: {statistics.median(gaps) - 0.7:.2f} s "
          f"(vs one redraw by hand {statistics.median(by_hand):.2f} s)")


if __name__ == "__main__":
    main()
