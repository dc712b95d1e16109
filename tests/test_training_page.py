"""The training page in AppTest: a preset's defaults, a run streamed through the sandbox onto
the charts, Stop keeping what was learned, the Explorer page's code as a preset."""
from __future__ import annotations

import json
import shutil
import time

import pytest
from streamlit.testing.v1 import AppTest

from pages.ui import training_controls as controls
from pages.ui import training_live as live

SQUARES = """import torch

w = torch.ones(3, requires_grad=True)


def inputs():
    return (torch.tensor([1.0, 2.0, 3.0]),)


def forward(x):
    return ((w - x) ** 2).sum()
"""


@pytest.fixture
def app(root) -> AppTest:
    page = root / "pages" / "training.py"
    test = AppTest.from_string(f"""
import streamlit as st
st.navigation([st.Page({str(page)!r}, title="Training")]).run()
""", default_timeout=120)
    test.run()
    assert not test.exception
    return test


def follow(app: AppTest, until, timeout: float = 120.0) -> dict:
    """Rerun the page (as the fragment's timer does) until ``until(current run)``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        app.run()
        assert not app.exception, app.exception
        run = app.session_state[live.CURRENT]
        if until(run):
            return run
        time.sleep(0.3)
    raise AssertionError("the run did not get there in time")


def chart(app: AppTest, key: str) -> dict:
    element = next(c for c in app.get("plotly_chart") if c.proto.id.endswith(key)
                   or key in c.proto.id)
    return json.loads(element.proto.spec)


def test_a_preset_run_streams_onto_the_charts_and_joins_the_history(app):
    app.selectbox(key=controls.PRESET).set_value("moons").run()
    assert app.select_slider(key=controls.LR).value == 0.01
    assert app.number_input(key=controls.STEPS).value == 300
    app.number_input(key=controls.STEPS).set_value(40).run()
    app.button[0].click().run()
    run = follow(app, lambda r: r["result"] is not None)
    assert run["result"]["status"] == "ok", run["result"]
    losses = [r["loss"] for r in run["records"] if r.get("kind") == "metrics"
              and r["framework"] == "tf"]
    traces = chart(app, "training.chart.loss")["data"]
    drawn = next(t for t in traces if t["name"].endswith("tf.function twin"))
    every = controls.log_every(40)  # about RECORDS_PER_RUN records a run, and the last step
    assert drawn["y"] == losses
    assert drawn["x"] == sorted(set(range(every, 41, every)) | {40})
    assert any("agree" in s.value for s in app.success)
    speed_rows = [r for r in run["records"] if r.get("kind") == "speed"]
    assert [r["variant"] for r in speed_rows] == ["torch eager", "TF eager", "tf.function",
                                                  "torch.compile"]
    if shutil.which("g++"):  # Inductor's compiler, run by the worker's compiler helper
        assert speed_rows[3]["status"] == "ok" and speed_rows[3]["steps_per_s"] > 0, \
            speed_rows[3]
    assert chart(app, "training.chart.speed")["data"][0]["x"][0] == "torch eager"
    assert len([c for c in app.get("plotly_chart") if "boundary" in c.proto.id]) == 2
    table = app.dataframe[0].value
    assert list(table["steps"]) == ["40 of 40", "40 of 40"]


def test_stop_keeps_what_was_learned(app):
    app.number_input(key=controls.STEPS).set_value(5000).run()
    app.toggle(key=controls.SPEED).set_value(False).run()
    app.button[0].click().run()
    follow(app, lambda r: any(x.get("kind") == "metrics" for x in r["records"]))
    app.button(key="training.stop").click().run()
    run = follow(app, lambda r: r["result"] is not None)
    result = run["result"]
    assert result["stopped"] and 0 < result["steps_done"]["torch"] < 5000
    assert result["steps_done"]["tf"] == result["steps_done"]["torch"]
    last = [r for r in run["records"] if r.get("kind") == "metrics"][-1]
    assert last["step"] == result["steps_done"]["torch"]
    assert any("Stopped after" in i.value for i in app.info)
    assert app.dataframe[0].value["steps"][0] == f"{last['step']} of 5000"


def test_the_explorer_pages_code_is_a_preset(app):
    app.selectbox(key=controls.PRESET).set_value("snippet").run()
    assert app.button[0].disabled  # no code on the Explorer page yet
    app.session_state[controls.EXPLORER_CODE] = SQUARES
    app.run()
    assert not app.button[0].disabled and SQUARES.strip() in [c.value for c in app.code]
    app.number_input(key=controls.STEPS).set_value(10).run()
    app.toggle(key=controls.SPEED).set_value(False).run()
    app.button[0].click().run()
    run = follow(app, lambda r: r["result"] is not None)
    losses = [r["loss"] for r in run["records"] if r.get("kind") == "metrics"
              and r["framework"] == "torch"]
    assert losses[-1] < losses[0]  # SGD on |w - x|^2 goes down
    assert any("no labels" in i.value for i in app.info)


def test_a_training_run_goes_on_while_the_visitor_runs_code_on_the_explorer(root):
    """Training has a lane of its own: a Run on the Explorer page does not cancel it; coming
    back, its curves have grown."""
    app = AppTest.from_file(str(root / "explorer" / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("../pages/training.py").run()
    assert not app.exception, app.exception
    app.number_input(key=controls.STEPS).set_value(5000).run()
    # the largest batch: 5,000 steps of spirals at batch 32 took 7 s on an idle machine, done
    # before the Stop below could come
    app.select_slider(key=controls.BATCH).set_value(controls.BATCH_CHOICES[-1]).run()
    app.toggle(key=controls.SPEED).set_value(False).run()
    app.button[0].click().run()
    run = follow(app, lambda r: any(x.get("kind") == "metrics" for x in r["records"]))
    seen = len(run["records"])
    app.switch_page("../pages/explorer.py").run()
    assert not app.exception, app.exception
    before = app.session_state["explorer.result"]
    next(b for b in app.button if b.label == "Run").click().run()
    after = app.session_state["explorer.result"]
    assert after["status"] == "ok" and after is not before
    app.switch_page("../pages/training.py")
    run = follow(app, lambda r: len(r["records"]) > seen and r["result"] is None)
    app.button(key="training.stop").click().run()
    result = follow(app, lambda r: r["result"] is not None)["result"]
    assert result["status"] == "ok" and result["stopped"], result
    assert result["steps_done"]["torch"] < 5000
