"""A run that takes a while shows what it has while it goes on (issue 15, item 7): the PyTorch
graph is drawn, with the twin's "Tracing..." note and the Cancel button, before the twin is
traced; the check's verdict replaces the note when the run ends. The snippet sleeps 3 s in
``forward`` while tf.function traces the twin (its argument is a TensorFlow tensor then; not
in the check, which runs the traced graph), so the PyTorch side is done well before."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from explorer import share
from tests.browser.app_server import settle

CODE = """import time
import torch

w = torch.ones(4, requires_grad=True)


def inputs():
    return (torch.randn(4),)


def forward(x):
    time.sleep(3 if "tensorflow" in type(x).__module__ else 0)  # the twin's trace: 3 s
    return torch.tanh(x * w).sum()
"""
pytestmark = pytest.mark.slow  # a page, a run of 3 s and more


def test_the_pytorch_graph_is_drawn_while_the_twin_is_traced(page, app_url):
    page.goto(f"{app_url}/?code={quote(share.encode_code(CODE))}")
    tracing = page.get_by_text("Tracing the tf.function twin of this code")
    expect(tracing.first).to_be_visible(timeout=120_000)
    # at that moment: the PyTorch graph is on the page, the twin's is not, the run goes on
    torch_graph = page.locator(".gx-svg").first
    expect(torch_graph).to_be_visible()
    assert "TanhBackward0" in torch_graph.text_content()
    assert page.get_by_text("Outputs and gradients agree").count() == 0
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    # then the twin's graph and the verdict, and the note is gone
    expect(page.get_by_text("Outputs and gradients agree")).to_be_visible(timeout=60_000)
    settle(page)
    expect(page.locator(".gx-svg")).to_have_count(2)
    assert "Tanh" in page.locator(".gx-svg").nth(1).text_content()
    assert tracing.count() == 0
    assert page.get_by_role("button", name="Cancel").count() == 0
