"""The gradients page through AppTest with the real sandbox: its controls, each checked
against torch's own backward computed in the test."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from explorer import lessons, snippet
from tests.conftest import ROOT

LESSON = lessons.default()  # x (1, 10) -> linear_layer -> sum, seed 0
KEY = f"grads.{hashlib.sha1(LESSON.code.encode()).hexdigest()[:10]}.0"


def gradients_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "explorer" / "app.py"), default_timeout=180).run()
    at.switch_page(str(ROOT / "pages" / "gradients.py")).run()
    assert not at.exception
    return at


def result(at: AppTest) -> dict:
    (value,) = at.session_state["grads.results"].values()
    return value


def torch_grads(scale: float = 1.0, weight_edit: tuple | None = None) -> dict[str, np.ndarray]:
    """The same run done by hand: torch's own backward."""
    program = snippet.load(LESSON.code)
    layer = program.namespace["linear_layer"]
    with torch.no_grad():
        program.args[0].mul_(scale)
        if weight_edit:
            layer.weight[weight_edit[0]] = weight_edit[1]
    program.run_forward()
    program.backward()
    return {"linear_layer.weight": layer.weight.grad.numpy(),
            "linear_layer.bias": layer.bias.grad.numpy(),
            "output": program.outputs[0].item()}


@pytest.fixture(scope="module")
def page() -> AppTest:
    return gradients_page()


def test_leaf_gradients_are_torchs(page):
    expected = torch_grads()
    leaves = result(page)["leaves"]
    for name in ("linear_layer.weight", "linear_layer.bias"):
        assert np.allclose(leaves[name]["grad"], expected[name])
    assert len(page.get("plotly_chart")) == 2


def test_the_stepper_walks_the_backward_order(page):
    order = result(page)["order"]
    page.slider(key="grads.step").set_value(2).run()
    assert f"Step 2 of {len(order)}: `{order[1]}`" in "".join(m.value for m in page.markdown)


def test_input_scale_slider_reruns_with_scaled_inputs():
    at = gradients_page()
    at.slider(key=f"{KEY}.scale").set_value(2.0).run()
    expected = torch_grads(scale=2.0)
    got = result(at)["leaves"]["linear_layer.weight"]["grad"]
    assert np.allclose(got, expected["linear_layer.weight"])
    assert not np.allclose(got, torch_grads()["linear_layer.weight"])


def test_parameter_element_slider_moves_the_output_as_torch_says():
    at = gradients_page()
    slider = at.slider(key=f"{KEY}.param_element.linear_layer.weight.0")
    new_value = slider.value + 0.5
    slider.set_value(new_value).run()
    expected = torch_grads(weight_edit=((0, 0), new_value))
    assert result(at)["graph"]["output"]["value"][0] == pytest.approx(expected["output"], rel=1e-5)


def test_twin_gradients_and_finite_differences_agree_with_torch():
    at = gradients_page()
    at.toggle(key="grads.twin").set_value(True).run()
    twin = result(at)["twin"]
    assert twin["status"] == "ok" and all(g["close"] for g in twin["grads"])
    tf_weight = next(g for g in twin["grads"] if g["name"] == "linear_layer.weight")
    assert np.allclose(tf_weight["tf"]["values"], torch_grads()["linear_layer.weight"], atol=1e-5)
    next(b for b in at.button if b.label.startswith("Check against finite")).click().run()
    assert any("Autograd agrees with finite differences" in s.value for s in at.success)


def test_the_explorer_pages_snippet_is_offered_first():
    at = AppTest.from_file(str(ROOT / "explorer" / "app.py"), default_timeout=180).run()
    at.switch_page(str(ROOT / "pages" / "gradients.py")).run()
    assert at.selectbox(key="grads.source").options[0] == "Your snippet (Explorer page)"
    assert result(at)["status"] == "ok"
