"""The explorer page end to end in headless Chromium, as a student would use it."""
from __future__ import annotations

import re
from urllib.parse import quote

from playwright.sync_api import expect

from explorer import share
from tests.browser.app_server import expect_inspected, settle, wait_for_graphs
from tests.browser.conftest import ARTIFACTS


def texts(locator) -> list[str]:
    """Text of SVG elements (inner_text is for HTML only)."""
    return locator.evaluate_all("els => els.map(e => e.textContent)")


def graphs(page):
    """The two graph viewers (PyTorch first, then tf.function) once both have drawn."""
    wait_for_graphs(page)
    return page.locator(".gx-svg")


def test_default_lesson_shows_both_graphs_and_the_check(page, app_url):
    page.goto(app_url)
    viewers = graphs(page)
    torch_ids = viewers.nth(0).locator("g.node").evaluate_all("els => els.map(e => e.id)")
    assert {"node_linear_layer.weight", "node_addmm", "node_output"} <= set(torch_ids)
    tf_ops = texts(viewers.nth(1).locator("g.node text"))
    assert "If" in tf_ops or "StatelessIf" in tf_ops
    assert page.get_by_text("Outputs and gradients agree").is_visible()
    page.screenshot(path=str(ARTIFACTS / "explorer_default.png"), full_page=True)


def test_pick_a_lesson_run_it_and_inspect_a_node(page, app_url):
    page.goto(app_url)
    graphs(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=re.compile("while loop", re.I)).click()
    page.get_by_role("button", name=re.compile("^Run")).click()
    viewers = graphs(page)
    first = viewers.nth(0).locator("g.node", has_text="MulBackward0").first
    first.wait_for()
    # each viewer redraws on its own: wait for the twin's While (StatelessWhile) to appear
    viewers.nth(1).locator("g.node", has_text="While").first.wait_for(timeout=60_000)
    first.click()
    settle(page)
    details = expect_inspected(page, "mul", "MulBackward0")
    assert "(1, 4)" in details.inner_text()


def test_a_share_link_opens_with_its_code(page, app_url):
    code = ("import torch\n\nw = torch.ones(3, requires_grad=True)\n\n\ndef inputs():\n"
            "    return torch.arange(3.0)\n\n\ndef forward(x):\n    return (x * w).exp().sum()\n")
    page.goto(f"{app_url}/?seed=3&code={quote(share.encode_code(code))}")
    viewers = graphs(page)
    labels = texts(viewers.nth(0).locator("g.node text"))
    assert "ExpBackward0" in labels and "w" in labels
    editor = page.frame_locator("iframe[title*=code_editor]").first
    # the editor is its own iframe and may paint its lines after the graphs: wait for them
    expect(editor.locator(".ace_line", has_text="return (x * w).exp().sum()")).to_have_count(
        1, timeout=60_000)
    assert page.get_by_test_id("stNumberInputField").input_value() == "3"
