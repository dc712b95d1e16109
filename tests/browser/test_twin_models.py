"""Issue 11, done means: the explorer page shows both graphs for a CNN, an LSTM and a
transformer layer (corpus snippets opened from a share link), with the agreement badge green."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from explorer import share
from explorer.twin import corpus
from tests.browser.app_server import wait_for_graphs
from tests.browser.conftest import ARTIFACTS

# corpus snippet -> an autograd node its PyTorch graph must hold, an op of its TF graph
MODELS = {
    "conv_small_cnn_cross_entropy": ("ConvolutionBackward0", "Conv2D"),
    "recurrent_lstm_classifier": ("AddmmBackward0", "MatMul"),
    # on the CPU, torch's layer calls the fused attention kernel: one autograd node
    "attention_transformer_encoder_layer": ("ScaledDotProduct", "Softmax"),
}


def texts(locator) -> list[str]:
    """Text of SVG elements (inner_text is for HTML only)."""
    return locator.evaluate_all("els => els.map(e => e.textContent)")


@pytest.mark.parametrize("name", MODELS)
def test_model_shows_both_graphs_and_agrees(page, app_url, name):
    torch_op, tf_op = MODELS[name]
    page.set_default_timeout(300_000)  # a cold worker imports TensorFlow on a busy machine
    page.goto(f"{app_url}/?code={quote(share.encode_code(corpus.get(name).code))}")
    wait_for_graphs(page)
    viewers = page.locator(".gx-svg")
    assert viewers.count() == 2
    # each viewer redraws on its own: wait for the twin's op rather than read at once
    viewers.nth(1).locator("g.node", has_text=tf_op).first.wait_for()
    assert any(torch_op in t for t in texts(viewers.nth(0).locator("g.node text")))
    badge = page.get_by_test_id("stAlertContentSuccess")
    badge.wait_for()
    assert "Outputs and gradients agree" in badge.inner_text()
    # a large graph opens at its bottom centre, which can be blank: show each one whole
    for fit in page.locator("button[data-act=fit]").all():
        fit.click()
    page.screenshot(path=str(ARTIFACTS / f"twin_{name}.png"), full_page=True)
