"""The first page through Streamlit's AppTest: the default lesson draws, errors name the line."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "explorer" / "app.py"), default_timeout=120)
    return at.run()


def test_default_lesson_is_drawn_on_load():
    at = app()
    assert not at.exception
    assert at.text_area[0].value.startswith('"""A data-dependent if')
    assert len(at.get("image")) == 1 or len(at.get("graphviz_chart")) == 1


def test_broken_code_shows_the_line_and_keeps_the_code():
    at = app()
    broken = at.text_area[0].value.replace("return y.sum()", "return y @ y")
    at.text_area[0].set_value(broken)
    at.button[0].click().run()
    assert "RuntimeError" in at.error[0].value and "line" in at.error[0].value
    assert at.text_area[0].value == broken
