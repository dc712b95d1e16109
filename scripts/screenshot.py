"""The README's screenshot: the app as ``make run`` starts it, the default lesson's two
graphs drawn, in Debian's Chromium. Run by hand: ``.venv/bin/python scripts/screenshot.py
[-o assets/screenshot.png] [--lesson NAME]``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.app_server import ROOT, launch, start_app, stop_app, wait_for_graphs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "assets" / "screenshot.png"))
    parser.add_argument("--lesson", default=None, help="a lesson name (default: the default)")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1900)
    parser.add_argument("--top", type=int, default=95, help="pixels cut off the top")
    parser.add_argument("--bottom", type=int, default=1640, help="where the picture ends")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server, url = start_app()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.set_default_timeout(120_000)
            page.goto(url + (f"/?lesson={args.lesson}" if args.lesson else ""))
            wait_for_graphs(page)
            page.wait_for_timeout(1500)  # the editor's iframe and the viewers' fit
            page.screenshot(path=args.output, clip={"x": 0, "y": args.top, "width": args.width,
                                                    "height": args.bottom - args.top})
            browser.close()
    finally:
        stop_app(server)
    print(args.output)


if __name__ == "__main__":
    main()
