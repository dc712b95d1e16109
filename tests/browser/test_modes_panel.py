"""The "PyTorch compiled" panel in headless Chromium: pick torch.compile under the default
lesson's Run and see its two FX graphs with the break between them, told at the user's line;
pick torch.export and see the refusal and the torch.cond rewrite's cond op."""
from __future__ import annotations

import re

from tests.browser.app_server import settle, wait_for_graphs
from tests.browser.conftest import ARTIFACTS


def pick(page, label: str) -> None:
    """Click a mode of the segmented control (its options are radios), once it has drawn."""
    heading = page.get_by_text("PyTorch compiled")
    heading.wait_for()
    heading.scroll_into_view_if_needed()
    page.get_by_role("radio", name=label, exact=True).click()
    settle(page)


def test_compile_shows_its_graphs_and_the_break(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    pick(page, "torch.compile")
    # the code spans are <code>: the text reads without their backticks
    page.get_by_text(re.compile(r"Graph break\. line 12: if x\.sum\(\) > 0: needs the "
                                r"tensor's value")).wait_for(timeout=180_000)
    marker = page.locator(".gx-svg g#graph_break_0")
    marker.wait_for(timeout=60_000)
    assert "line 12" in marker.evaluate("e => e.textContent")
    boxes = page.locator(".gx-svg g.cluster").evaluate_all("els => els.map(e => e.textContent)")
    assert sum("FX graph" in text for text in boxes) == 2
    assert page.get_by_text("Outputs and gradients agree").count() >= 2  # twin, compile
    marker.scroll_into_view_if_needed()  # the page scrolls inside the app: a viewport shot
    page.screenshot(path=str(ARTIFACTS / "modes_compile.png"))


def test_export_refuses_and_exports_the_cond_rewrite(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    pick(page, "torch.export")
    page.get_by_text(re.compile(r"line 12: if x\.sum\(\) > 0: decides with a tensor's "
                                r"value")).wait_for(timeout=180_000)
    page.get_by_text("The same code with torch.cond").wait_for()
    # the rewrite's drawing: the cond op, its two branches as boxes below it
    true_box = page.locator(".gx-svg g.cluster", has_text="true_fn").first
    true_box.wait_for(timeout=60_000)
    drawing = page.locator(".gx-svg").last
    labels = drawing.locator("g.node text").evaluate_all("els => els.map(e => e.textContent)")
    assert "cond" in labels and labels.count("aten.linear.default") == 3
    clusters = drawing.locator("g.cluster").evaluate_all("els => els.map(e => e.textContent)")
    assert any("false_fn" in c for c in clusters)
    assert page.get_by_text("Outputs and gradients agree").count() >= 2  # twin, cond version
    true_box.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "modes_export.png"))
