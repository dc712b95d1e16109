"""Issue 12 in Debian's Chromium, as a teacher and a student use the Explorer page: lesson
links, re-picking and resetting a lesson, an emptied editor, the Compare row of this run,
errors with their line, Cancel, the projector layout at 1280x720 and its downloads, the
editor free of buttons, shell commands. One app server for all (the session's fixture);
screenshots in artifacts/. What is expected comes from the lesson files and the page's own
numbers."""
from __future__ import annotations

import re
import struct
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from explorer import lessons, share
from tests.browser.app_server import settle, wait_for_graphs
from tests.browser.conftest import ARTIFACTS
from tests.test_teacher_errors import FLOOD  # the print flood the worker's tests use

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLEEPY = '''import time
import torch


def inputs():
    return torch.ones(3)


def forward(x):
    time.sleep(30)
    return x.sum()
'''
SHELL = '''import os
import torch


def inputs():
    return torch.ones(3)


def forward(x):
    os.system("ls")
    return x.sum()
'''


def editor(page):
    return page.frame_locator("iframe[title*=code_editor]").first


def editor_text(page) -> str:
    lines = editor(page).locator(".ace_line").all_inner_texts()
    return "\n".join(lines)


def picker_text(page) -> str:
    return page.get_by_test_id("stSelectbox").first.locator("input").input_value()


def alerts(page) -> str:
    return "\n".join(page.get_by_test_id("stAlert").all_inner_texts())


def link(app_url: str, code: str, **query: str) -> str:
    params = "".join(f"&{k}={quote(v)}" for k, v in query.items())
    return f"{app_url}/?code={quote(share.encode_code(code))}{params}"


def test_lesson_links_open_their_lesson_and_stay_in_the_url(page, app_url):
    page.goto(f"{app_url}/?lesson=while_loop")
    wait_for_graphs(page)
    lesson = lessons.get("while_loop")
    assert lesson.title in picker_text(page)
    page.locator(".gx-svg").nth(1).locator("g.node", has_text="While").first.wait_for()
    expect(page).to_have_url(re.compile(r"lesson=while_loop"))
    page.screenshot(path=str(ARTIFACTS / "teacher_lesson_link.png"))
    page.goto(f"{app_url}/?lesson=broadcasting&seed=3")
    wait_for_graphs(page)
    assert lessons.get("broadcasting").title in picker_text(page)
    assert page.get_by_test_id("stNumberInputField").input_value() == "3"
    expect(page).to_have_url(re.compile(r"lesson=broadcasting"))
    first_line = lessons.get("broadcasting").code.splitlines()[0]
    expect(editor(page).locator(".ace_line").first).to_have_text(first_line)


def test_re_picking_and_reset_restore_the_lesson_and_an_empty_editor_runs_empty(page,
                                                                                   app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    title = lessons.default().title
    ace = editor(page).locator(".ace_text-input")
    editor(page).locator(".ace_content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# my edit")
    page.get_by_text("Ctrl+Enter in the editor runs too").click()  # blur: the page reads it
    settle(page)
    expect(page.get_by_test_id("stSelectbox").first.locator("input")).to_have_value(
        re.compile("^Your edit of"))
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=title, exact=True).click()
    settle(page)
    expect(editor(page).locator(".ace_line", has_text="# my edit")).to_have_count(0)
    assert title in picker_text(page)
    # edit again, then the Reset button
    editor(page).locator(".ace_content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# again")
    page.get_by_text("Ctrl+Enter in the editor runs too").click()
    settle(page)
    page.get_by_role("button", name=re.compile("Reset to the lesson")).click()
    settle(page)
    expect(editor(page).locator(".ace_line", has_text="# again")).to_have_count(0)
    # empty it and run: the empty code runs, not the previous one
    editor(page).locator(".ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    ace.press("Control+Enter")
    settle(page)
    expect(page.get_by_text("defines no forward() function")).to_be_visible(timeout=60_000)
    assert editor_text(page).strip() == ""
    assert page.locator(".gx-svg").count() == 0  # the previous graphs are gone
    page.screenshot(path=str(ARTIFACTS / "teacher_empty_editor.png"))


def test_the_compare_row_of_this_run_matches_the_page(page, app_url):
    page.goto(app_url)
    wait_for_graphs(page)
    metrics = dict(zip(page.get_by_test_id("stMetricLabel").all_inner_texts(),
                       page.get_by_test_id("stMetricValue").all_inner_texts()))
    page.get_by_role("tab", name="Compare inputs").click()
    page.get_by_role("button", name=re.compile("^Compare$")).click()
    settle(page)
    # the compare table, once its grid has drawn its cells (they come after the frame)
    this_run = page.locator("[role=gridcell]", has_text=re.compile(r"^this run"))
    expect(this_run.first).to_be_attached(timeout=60_000)
    grid = page.get_by_test_id("stDataFrame").filter(has=this_run)
    cells = grid.locator("[role=gridcell]").all_inner_texts()
    first = cells[:8]
    assert first[0].startswith("this run")
    assert metrics["Output"] in first and metrics["Autograd nodes"] in first
    assert "took then \u00d71" in first  # as the Executed path says of this run
    grid.screenshot(path=str(ARTIFACTS / "teacher_compare.png"))


def test_errors_name_their_line_and_cancel_says_who(page, app_url):
    page.goto(link(app_url, FLOOD))
    settle(page)
    expect(page.get_by_text(re.compile("printed more than 1,000,000"))).to_be_visible(
        timeout=120_000)
    text = alerts(page)
    assert "line 10: your code printed more than 1,000,000 characters" in text
    assert "inside the loop at line 9" in text
    page.screenshot(path=str(ARTIFACTS / "teacher_flood_error.png"))
    page.goto(link(app_url, SLEEPY))
    page.get_by_role("button", name=re.compile("Cancel")).click()
    settle(page)
    expect(page.get_by_text("You cancelled this run")).to_be_visible(timeout=60_000)
    assert "a newer run replaced it" not in alerts(page)
    # the cancelled run's message is not shown under the next run's "Running..."
    page.get_by_role("button", name=re.compile(r"\bRun\b")).first.click()
    page.get_by_text("Running your code in a worker").wait_for()
    assert "You cancelled this run" not in alerts(page)
    page.screenshot(path=str(ARTIFACTS / "teacher_running_clears.png"))
    page.get_by_role("button", name=re.compile("Cancel")).click()
    settle(page)
    page.goto(link(app_url, SHELL))
    settle(page)
    expect(page.get_by_text(re.compile("shell commands and other programs"))).to_be_visible(
        timeout=120_000)
    assert "line 10" in alerts(page)


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_the_projector_layout_shows_code_and_both_graphs_at_1280x720(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{app_url}/?lesson=variable_length_rnn&layout=present")
        wait_for_graphs(page)
        page.wait_for_timeout(500)
        boxes = [page.locator(".gx-svg").nth(i).bounding_box() for i in range(2)]
        code = page.locator("iframe[title*=code_editor]").first.bounding_box()
        for box in boxes:
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, box
            assert box["x"] + box["width"] <= 1280 and box["width"] > 402, box
        assert code["x"] + code["width"] <= boxes[0]["x"]  # code on the left, narrow
        assert code["width"] < boxes[0]["width"]
        assert page.get_by_test_id("stExpander").first.is_visible()  # the lesson, folded
        size = page.locator("[data-testid=stMarkdownContainer] p").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 17
        expect(page).to_have_url(re.compile("layout=present"))
        page.screenshot(path=str(ARTIFACTS / "teacher_projector_1280x720.png"))
        assert page.evaluate("window.scrollY") == 0
        with page.expect_download() as png:
            page.get_by_role("button", name="PNG").nth(1).click()
        width, height = png_size(open(png.value.path(), "rb").read())
        assert max(width, height) >= 2000, (width, height)
        with page.expect_download() as svg:
            page.get_by_role("button", name="SVG").nth(1).click()
        text = open(svg.value.path()).read()
        assert "<symbol" in text and "<text" not in text  # letters drawn as paths
        (ARTIFACTS / "teacher_projector.txt").write_text(
            f"graphs at 1280x720: {[(round(b['width']), round(b['height'])) for b in boxes]}\n"
            f"tf.function PNG {width}x{height}\n")
    finally:
        context.close()


def test_no_button_over_the_code_of_a_long_lesson(page, app_url):
    longest = max(lessons.all_lessons(), key=lambda lesson: len(lesson.code.splitlines()))
    page.goto(f"{app_url}/?lesson={longest.name}")
    wait_for_graphs(page)
    frame = editor(page)
    frame.locator(".ace_line").first.wait_for()
    assert frame.locator("button").count() == 0
    page.locator("iframe[title*=code_editor]").first.screenshot(
        path=str(ARTIFACTS / "teacher_long_lesson_editor.png"))


def test_the_node_inspector_shows_an_op_nodes_value(page, app_url):
    """The README promises values: an op node's forward output (its attrs.value, from the
    capture's origin of each node), shown in the details table once the node is clicked."""
    page.goto(app_url)
    viewers = page.locator(".gx-svg")
    wait_for_graphs(page)
    viewers.nth(0).locator("g.node", has_text="AddmmBackward0").first.click()
    settle(page)
    details = page.get_by_test_id("stTable").first
    details.wait_for()
    text = details.inner_text()
    assert "AddmmBackward0" in text
    assert re.search(r"value\s+\[-?\d", text), text
    details.screenshot(path=str(ARTIFACTS / "teacher_op_value.png"))
