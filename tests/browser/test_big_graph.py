"""A big graph in full view, in Chromium: drawn by the canvas viewer (pages/ui/bigview.js), not
by dot; a click on a node selects it and its inspector shows. The snippet: 600 loop steps of
three ops (1,800 autograd nodes, past ``layout_big.BIG_NODES``) and ``torch.sinc``, which has
no twin, so the test waits for one graph only."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from explorer import layout_big, share
from tests.browser.app_server import expect_inspected, settle
from tests.browser.conftest import ARTIFACTS

STEPS = 600
CODE = f"""import torch

w = torch.ones(4, requires_grad=True)


def inputs():
    return (torch.randn({STEPS}, 4),)


def forward(x):
    h = torch.zeros(4)
    for i in range({STEPS}):
        h = torch.tanh(h * w + x[i])
    return torch.sinc(h).sum()
"""
pytestmark = pytest.mark.slow  # a page, a 1,800-node run


def test_big_graph_full_view_drawn_on_canvas_click_inspects(page, app_url):
    assert 3 * STEPS > layout_big.BIG_NODES  # the route this test is about
    page.goto(f"{app_url}/?view=full&code={quote(share.encode_code(CODE))}")
    big = page.locator(".gxb-root").first
    big.wait_for(timeout=120_000)
    expect(big).to_have_attribute("data-ready", re.compile(r"\w+"), timeout=60_000)
    settle(page)
    assert int(big.get_attribute("data-shapes")) > layout_big.BIG_NODES
    assert page.locator(".gx-svg").count() == 0  # no Graphviz drawing of it
    expect(page.get_by_text(re.compile(r"drawn by the big-graph viewer"))).to_be_visible()
    assert "node_tanh_300" in big.evaluate("el => el.gxIds()")
    # the viewer opens at the output (a tall graph): shapes are drawn there (next frame)
    expect(big).to_have_attribute("data-drawn", re.compile(r"^[1-9]\d*$"), timeout=30_000)
    x, y = big.evaluate("(el, id) => el.gxLocate(id)", "node_tanh_300")
    page.mouse.click(x, y)
    settle(page)
    details = expect_inspected(page, "tanh_300", "TanhBackward0")
    assert "(4)" in details.inner_text()
    # the viewer drew the selection, and the clicked node's line (13) linked: its other nodes
    big = page.locator(".gxb-root").first
    expect(big).to_have_attribute("data-ready", re.compile(r"\w+"))
    assert big.evaluate("(el, id) => el.gxMark(id)", "node_tanh_300") == "gx-selected"
    assert big.evaluate("(el, id) => el.gxMark(id)", "node_mul_7") == "gx-linked"
    assert big.evaluate("(el, id) => el.gxMark(id)", "node_sinc") is None  # line 14
    # Fit: the whole graph in view, every shape drawn
    big.locator("button[data-act=fit]").click()
    expect(big).to_have_attribute("data-drawn", big.get_attribute("data-shapes"))
    x, y = big.evaluate("(el, id) => el.gxLocate(id)", "node_tanh_300")
    page.screenshot(path=str(ARTIFACTS / "big_graph_selected.png"),
                    clip={"x": max(0, x - 450), "y": max(0, y - 300), "width": 900,
                          "height": 600})
