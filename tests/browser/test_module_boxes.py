"""Modules as boxes in Chromium: a module call is a cluster; a click on its label closes it to
one box (its inner nodes gone), a click on the box opens it again; the "Module depth shown"
slider closes every call below a depth, in both graphs (the twin's ops carry torch's paths).
The snippet is a two-layer MLP in an nn.Sequential, opened from a share link."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from explorer import share
from tests.browser.app_server import settle, wait_for_graphs
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.slow  # each starts a page and waits for both graphs

MLP = '''import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def inputs():
    return torch.randn(3, 4)


def forward(x):
    return model(x).sum()
'''


def open_mlp(page, app_url):
    page.goto(f"{app_url}/?code={quote(share.encode_code(MLP))}")
    wait_for_graphs(page)
    return page.locator(".gx-svg")


def node_ids(viewer) -> list[str]:
    return viewer.locator("g.node").evaluate_all("els => els.map(e => e.id)")


def cluster_ids(viewer) -> list[str]:
    return viewer.locator("g.cluster").evaluate_all("els => els.map(e => e.id)")


def test_a_cluster_closes_to_a_box_and_opens_again(page, app_url):
    torch_graph = open_mlp(page, app_url).nth(0)
    assert {"cluster_mod_model_0", "cluster_mod_model.0_0", "cluster_mod_model.2_0"} <= \
        set(cluster_ids(torch_graph))
    assert "node_addmm" in node_ids(torch_graph)
    torch_graph.locator('g.cluster[id="cluster_mod_model.0_0"] text').first.click()
    settle(page)
    box = torch_graph.locator('g.node[id="node_module_model.0_0"]')
    expect(box).to_have_count(1, timeout=30_000)
    assert box.locator("text").evaluate_all("els => els.map(e => e.textContent)")[:2] == [
        "model.0 \u00b7 Linear", "(3, 4) \u2192 (3, 8)"]
    drawn = node_ids(torch_graph)
    assert "node_addmm" not in drawn and "node_model.0.weight" not in drawn
    assert "node_addmm_1" in drawn  # the other Linear stays open
    assert "cluster_mod_model.0_0" not in cluster_ids(torch_graph)
    page.screenshot(path=str(ARTIFACTS / "module_boxes_closed.png"), full_page=True)
    box.click()
    settle(page)
    expect(torch_graph.locator('g.node[id="node_addmm"]')).to_have_count(1, timeout=30_000)
    assert "node_module_model.0_0" not in node_ids(torch_graph)
    assert "cluster_mod_model.0_0" in cluster_ids(torch_graph)


def test_depth_slider_closes_both_graphs_to_top_modules(page, app_url):
    viewers = open_mlp(page, app_url)
    sliders = page.locator("[data-testid=stSlider]", has_text="Module depth shown")
    expect(sliders).to_have_count(2)  # one per graph
    sliders.nth(0).get_by_role("slider").press("Home")  # 0: each top-level call one box
    settle(page)
    torch_graph = viewers.nth(0)
    expect(torch_graph.locator('g.node[id="node_module_model_0"]')).to_have_count(
        1, timeout=30_000)
    assert [i for i in node_ids(torch_graph) if i.startswith("node_module")] == \
        ["node_module_model_0"]
    assert cluster_ids(torch_graph) == []
    sliders.nth(1).get_by_role("slider").press("Home")
    settle(page)
    tf_graph = viewers.nth(1)
    expect(tf_graph.locator('g.node[id="node_module_model_0"]')).to_have_count(
        1, timeout=30_000)
    assert not {"node_MatMul", "node_Relu"} & set(node_ids(tf_graph))
    page.screenshot(path=str(ARTIFACTS / "module_boxes_depth0.png"), full_page=True)
    sliders.nth(0).get_by_role("slider").press("ArrowRight")  # 1: the layers as boxes
    settle(page)
    expect(torch_graph.locator('g.node[id="node_module_model.1_0"]')).to_have_count(
        1, timeout=30_000)
    assert sorted(i for i in node_ids(torch_graph) if i.startswith("node_module")) == [
        "node_module_model.0_0", "node_module_model.1_0", "node_module_model.2_0"]
    assert cluster_ids(torch_graph) == ["cluster_mod_model_0"]
    page.screenshot(path=str(ARTIFACTS / "module_boxes_depth1.png"), full_page=True)
