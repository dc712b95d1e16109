"""The editor's selection -> the line it starts on (pages/ui/editor.selection_line), as Ace
reports a selection: its text and the cursor (the lead), hand-written cases."""
from __future__ import annotations

from pages.ui.editor import selection_line

CODE = "import torch\n\ndef forward(x):\n    y = x * 2\n    return y.sum()\n"


def test_a_click_on_a_line_number_selects_the_line_with_the_cursor_on_the_next():
    # Ace's gutter click: "    y = x * 2\n" selected, the cursor at row 4, column 0
    assert selection_line([CODE], "    y = x * 2\n", {"row": 4, "column": 0}) == 4
    assert selection_line([CODE], "    return y.sum()\n", {"row": 5, "column": 0}) == 5


def test_a_word_selected_either_way_names_its_line():
    assert selection_line([CODE], "forward", {"row": 2, "column": 11}) == 3  # made forwards
    assert selection_line([CODE], "forward", {"row": 2, "column": 4}) == 3   # backwards
    # two lines selected backwards: the line it starts on (the cursor's)
    assert selection_line([CODE], "y = x * 2\n    return", {"row": 3, "column": 4}) == 4


def test_the_text_that_holds_the_selection_is_used_else_the_cursor_counts_back():
    stale = "import torch\ndef forward(x):\n    y = x * 2\n"  # a line fewer than the code
    assert selection_line([stale, CODE], "    y = x * 2\n", {"row": 4, "column": 0}) == 4
    assert selection_line(["", ""], "a\nb\n", {"row": 9, "column": 0}) == 8


def test_no_selection_or_no_cursor_is_no_line():
    assert selection_line([CODE], "", {"row": 1, "column": 0}) is None
    assert selection_line([CODE], "x", None) is None
    assert selection_line([CODE], "x", {"row": -1, "column": 0}) is None
