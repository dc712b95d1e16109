"""Issue 12 through Streamlit's AppTest, with the real sandbox behind it: lesson links,
re-picking and resetting a lesson, the Compare row of the page's own run, the presentation
layout's page, the training page's earlier results. Expected values come from the lesson
files, the page's own metrics and executed path, and the engine's graph JSON."""
from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from explorer import compare, lessons
from explorer.graph import Graph
from pages.ui import lesson_picker
from pages.ui import training_controls as controls
from pages.ui import training_live as live
from tests.conftest import ROOT

RESULT, CODE, RAN_WITH = "explorer.result", "explorer.code", "explorer.ran_with"
MLP = """import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def inputs():
    return torch.randn(2, 4)


def forward(x):
    return model(x).sum()
"""


def start(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "explorer" / "app.py"), default_timeout=180)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def ran(at: AppTest) -> str:
    return at.session_state[RAN_WITH][0]


@pytest.mark.parametrize("link", ["while_loop", lessons.get("while_loop").title])
def test_a_lesson_link_opens_that_lesson_and_keeps_it_in_the_url(link):
    at = start(lesson=link)
    lesson = lessons.get("while_loop")
    assert at.session_state[CODE] == lesson.code and ran(at) == lesson.code
    assert at.session_state[RESULT]["status"] == "ok"
    assert at.selectbox(key="lesson").value == "while_loop"
    assert at.query_params["lesson"] == "while_loop"
    assert any(lesson.title in i.value for i in at.info)


def test_a_lesson_link_with_a_seed_opens_both():
    at = start(lesson="broadcasting", seed="3")
    assert ran(at) == lessons.get("broadcasting").code
    assert at.session_state[RAN_WITH][1] == 3 and at.session_state[RESULT]["run"]["seed"] == 3
    assert at.query_params["lesson"] == "broadcasting"


def test_a_link_to_no_lesson_says_so_and_opens_the_first():
    at = start(lesson="no_such_lesson")
    warning = next(w.value for w in at.warning if "no_such_lesson" in w.value)
    assert "while_loop" in warning  # it lists the lessons there are
    assert ran(at) == lessons.default().code


def edit(at: AppTest, code: str) -> None:
    at.toggle(key="explorer.plain_editor").set_value(True).run()
    at.text_area[0].set_value(code)
    next(b for b in at.button if b.label == "Run").click().run()


def test_picking_the_edited_lesson_again_restores_it():
    at = start()
    edit(at, MLP)
    assert ran(at) == MLP
    picker = at.selectbox(key="lesson")
    assert picker.value == lesson_picker.EDITED
    assert picker.options[0].startswith("Your edit of")
    picker.set_value(lessons.DEFAULT).run()
    assert at.session_state[CODE] == lessons.default().code and ran(at) == lessons.default().code
    assert at.text_area[0].value == lessons.default().code


def test_reset_to_the_lesson_restores_it():
    at = start(lesson="while_loop")
    edit(at, MLP)
    reset = next(b for b in at.button if b.label.startswith("Reset to the lesson"))
    assert lessons.get("while_loop").title in reset.label
    reset.click().run()
    assert ran(at) == lessons.get("while_loop").code
    assert not any(b.label.startswith("Reset to the lesson") for b in at.button)


def test_an_emptied_plain_editor_runs_the_empty_code():
    at = start()
    edit(at, "")
    assert ran(at) == ""
    assert "defines no forward() function" in at.error[0].value


def test_the_compare_row_of_this_run_matches_the_page():
    at = start()
    metrics = {m.label: m.value for m in at.metric}
    path = at.dataframe[0].value
    statement = path[path["statement"].str.startswith("if ")].iloc[0]
    next(b for b in at.button if b.label == "Compare").click().run()
    table = at.dataframe[-1].value.to_dict("records")
    this = table[0]
    assert this["inputs"].startswith("this run")
    assert this["output"] == metrics["Output"]
    assert str(this["nodes"]) == metrics["Autograd nodes"]
    assert this[f"line {statement['line']}: if"] == statement["this run"]
    assert this["vs this run"] == "same graph"
    runs = at.session_state["explorer.compare_result"][1]["compare"]
    for row, run in zip(table[1:], runs):  # reseeded rows count the same way
        assert row["nodes"] == compare.autograd_nodes(Graph.from_json(run["graph"]))


def test_the_presentation_layout_folds_the_lesson_text_and_keeps_the_link():
    at = start(layout="present", lesson="while_loop")
    lesson = lessons.get("while_loop")
    assert at.radio(key="layout").value == "present"
    assert any(lesson.title in e.label for e in at.expander)
    assert not any(lesson.title in i.value for i in at.info)
    assert at.session_state[RESULT]["status"] == "ok"
    assert at.query_params["lesson"] == "while_loop"


@pytest.mark.slow
def test_switching_the_training_preset_labels_the_earlier_runs_results(root):
    page = root / "pages" / "training.py"
    at = AppTest.from_string(f"""
import streamlit as st
st.navigation([st.Page({str(page)!r}, title="Training")]).run()
""", default_timeout=120)
    at.run()
    at.selectbox(key=controls.PRESET).set_value("moons").run()
    at.number_input(key=controls.STEPS).set_value(20).run()
    at.toggle(key=controls.SPEED).set_value(False).run()
    at.button[0].click().run()
    deadline = time.time() + 120
    while at.session_state[live.CURRENT]["result"] is None and time.time() < deadline:
        time.sleep(0.3)
        at.run()
    assert not any("Below: run" in w.value for w in at.warning)
    at.selectbox(key=controls.PRESET).set_value("spirals").run()
    warning = next(w.value for w in at.warning if "Below: run" in w.value)
    assert controls.label("moons") in warning and controls.label("spirals") in warning
