"""Browser tests: the app started as ``make run`` starts it, driven by Playwright in Debian's
Chromium (never a browser Playwright downloads). Skipped where Chromium is not installed."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.app_server import CHROMIUM, ROOT, launch, start_app, stop_app

ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def app_url():
    """``streamlit run explorer/app.py``, as ``make run`` does, on a free port."""
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "streamlit.log", "w") as log:
        try:
            proc, url = start_app(log)
        except TimeoutError as err:
            pytest.fail(f"{err}; see artifacts/streamlit.log")
        yield url
        stop_app(proc)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1500, "height": 1900})
    page = context.new_page()
    page.set_default_timeout(120_000)  # a cold worker pool on a busy 2-core machine
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
