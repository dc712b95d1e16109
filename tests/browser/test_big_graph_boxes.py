"""Module boxes on the big-graph canvas, in Chromium: a 600-step loop of a Linear ``cell``
(3,000 autograd nodes, past ``layout_big.BIG_NODES``) closed to depth 0 draws each call as one
box, still on the canvas (1,800 shapes); a click on a box opens that call alone, with its
nodes back. ``torch.sinc`` has no twin, so there is one graph (and one depth choice)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from explorer import share
from tests.browser.app_server import settle

STEPS = 600
CODE = f"""import torch
import torch.nn as nn

cell = nn.Linear(4, 4)


def inputs():
    return (torch.randn({STEPS}, 4),)


def forward(x):
    h = torch.zeros(4)
    for i in range({STEPS}):
        h = torch.tanh(cell(x[i]) + h)
    return torch.sinc(h).sum()
"""
pytestmark = pytest.mark.slow  # a page, a 3,000-node run


def ready(page, before: str | None = None):
    """The canvas, once it has drawn a scene other than ``before``."""
    big = page.locator(".gxb-root").first
    expect(big).to_have_attribute("data-ready", re.compile(r"\w+"), timeout=120_000)
    if before is not None:
        expect(big).not_to_have_attribute("data-ready", before, timeout=60_000)
    settle(page)
    return big


def test_closed_module_calls_are_boxes_on_the_canvas_and_a_click_opens_one(page, app_url):
    page.goto(f"{app_url}/?view=full&code={quote(share.encode_code(CODE))}")
    big = ready(page)
    ids = set(big.evaluate("el => el.gxIds()"))
    assert "node_addmm_300" in ids and not any(i.startswith("node_module_") for i in ids)
    shapes = int(big.get_attribute("data-shapes"))
    choice = page.get_by_role("combobox", name="Module depth shown")
    expect(choice).to_have_count(1)
    choice.click()
    page.keyboard.type("each top-level module one box")
    page.keyboard.press("Enter")
    big = ready(page, big.get_attribute("data-ready"))
    ids = set(big.evaluate("el => el.gxIds()"))
    assert {f"node_module_cell_{k}" for k in range(STEPS)} <= ids
    assert "node_addmm_300" not in ids and "node_tanh_300" in ids  # the loop's own op stays
    assert int(big.get_attribute("data-shapes")) < shapes
    expect(page.get_by_text(re.compile(r"a closed module call is one box"))).to_be_visible()
    x, y = big.evaluate("(el, id) => el.gxLocate(id)", "node_module_cell_300")
    page.mouse.click(x, y)
    big = ready(page, big.get_attribute("data-ready"))
    ids = set(big.evaluate("el => el.gxIds()"))
    assert "node_addmm_300" in ids and "node_module_cell_300" not in ids  # that call opened
    assert "node_module_cell_299" in ids and "node_addmm_299" not in ids  # the others not
