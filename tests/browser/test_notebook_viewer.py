"""A notebook output in Chromium: the app's viewer (pages/ui/viewer.js, read from its file)
takes over the inline SVG: zoom buttons move the view, a click on a node shows its rows."""
from __future__ import annotations

import pytest
import torch

import explorer
from explorer import render
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.skipif(not render.dot_available(), reason="needs Graphviz")


def test_the_viewer_mounts_on_a_graph_output_and_a_click_shows_the_node(page, tmp_path):
    layer = torch.nn.Linear(3, 3, bias=False)
    x = torch.randn(2, 3)
    drawn = explorer.graph(layer(layer(x)).sum(), names={"layer": layer, "x": x})
    (tmp_path / "out.html").write_text(f"<html><body style='width:900px'>"
                                       f"{drawn._repr_html_()}</body></html>")
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto((tmp_path / "out.html").as_uri())
    page.wait_for_selector(".gx-bar")
    assert page.locator(".gx-static").count() == 0 and page.locator("svg.gx-svg").count() == 1
    before = page.locator("svg.gx-svg").get_attribute("viewBox")
    page.click(".gx-bar button[data-act=in]")
    assert page.locator("svg.gx-svg").get_attribute("viewBox") != before
    page.click(".gx-bar button[data-act=fit]")
    page.locator('g.node[id="node_layer.weight"]').click()
    rows = page.locator(".gx-details").inner_text()
    assert "id: layer.weight" in rows and "kind: parameter" in rows
    assert errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notebook_viewer.png"))
