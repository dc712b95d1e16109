"""The code editor: Ace (streamlit-code-editor) with line numbers, Python highlighting,
Ctrl+Enter to run and gutter notes; a plain text area where the component cannot load."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

try:
    from code_editor import code_editor
except ImportError:  # the app still works, with a plain text area
    code_editor = None

SEEN = "editor.seen"  # ids of editor responses already handled
# The page's additions to the Ace editor: gutter clicks select a line, hover shading
_BRIDGE = st.components.v2.component(
    "editor_bridge", js=(Path(__file__).parent / "editor_bridge.js").read_text())
# Ace markers are absolutely placed divs; the component nests this CSS under its root.
MARKER_CSS = """
.gx-ran { position: absolute; background: rgba(30, 142, 62, 0.10); }
.gx-failed { position: absolute; background: rgba(217, 48, 37, 0.16); }
.gx-linked { position: absolute; background: rgba(230, 126, 34, 0.30); }
.gx-hover { position: absolute; background: rgba(230, 126, 34, 0.14); }
"""
# No button of its own inside the editor: one drawn over the text covers the code of long
# lessons. The page's Run button sits outside it; Ctrl+Enter is the component's "submit".
LINES, LINES_COMPACT = [18, 30], [12, 21]  # least and most lines shown before it scrolls


def _marker(line: int, css_class: str) -> dict:
    return {"startRow": line - 1, "startCol": 0, "endRow": line - 1, "endCol": 1,
            "className": css_class, "type": "fullLine"}


def selection_line(texts: list[str], selected: str, cursor: dict | None) -> int | None:
    """The line (1-based) where the editor's selection starts. Ace reports the selected text
    and the cursor, at the selection's end when it was made forwards (a click on a line
    number selects the line, the cursor then at the next line's start) or at its start; it
    is looked up in the first of ``texts`` that holds it there, else counted back from the
    cursor (a selection made forwards)."""
    if not selected or not isinstance(cursor, dict):
        return None
    row, column = cursor.get("row"), cursor.get("column")
    if not isinstance(row, int) or not isinstance(column, int) or row < 0:
        return None
    for text in texts:
        rows = text.split("\n")
        if row >= len(rows):
            continue
        at = sum(len(r) + 1 for r in rows[:row]) + column
        if text[max(at - len(selected), 0):at] == selected:
            return text.count("\n", 0, at - len(selected)) + 1
        if text[at:at + len(selected)] == selected:
            return row + 1
    return row - selected.count("\n") + 1


def snippet_editor(code: str, *, key: str, notes: dict[int, str] | None = None,
                   error_line: int | None = None, plain: bool = False,
                   compact: bool = False, linked_line: int | None = None,
                   on_select: Callable[[int], None] | None = None) -> tuple[str, bool]:
    """Show ``code``; return (the code as the user has it now, whether they asked to run).

    ``notes`` (line -> text) mark the lines the last run executed: shaded, with the note in
    the gutter (times run, arm taken, iterations); ``error_line`` is shaded red. ``compact``:
    fewer lines, a larger font (the presentation layout). ``linked_line`` is shaded orange:
    the line whose nodes are lit up in the graphs (pages/ui/linking.py); ``on_select`` gets
    the line a new selection starts on (a click on a line number, a double-click on a word):
    the editor answers on selections, not on each key typed. What the editor holds is what
    runs, even when the student emptied it."""
    if plain or code_editor is None:
        text = st.text_area("Snippet", value=code, height=300 if compact else 420,
                            key=f"{key}.plain",
                            label_visibility="collapsed")
        return text, False
    annotations = [{"row": line - 1, "column": 0, "type": "info", "text": note}
                   for line, note in (notes or {}).items()]
    markers = [_marker(line, "gx-ran") for line in (notes or {})]
    if linked_line:
        markers.append(_marker(linked_line, "gx-linked"))
    if error_line:
        annotations.append({"row": error_line - 1, "column": 0, "type": "error",
                            "text": "the run failed here"})
        markers.append(_marker(error_line, "gx-failed"))
    response = code_editor(
        code, lang="python", key=key, height=LINES_COMPACT if compact else LINES,
        response_mode=["blur", "select"] if on_select else ["blur"], allow_reset=True,
        options={"showLineNumbers": True, "tabSize": 4, "wrap": compact,
                 "fontSize": 15 if compact else 13},
        props={"annotations": annotations, "markers": markers,
               "enableBasicAutocompletion": False},
        component_props={"css": MARKER_CSS},
    )
    if on_select:
        _BRIDGE(key=f"{key}.bridge")
    seen = st.session_state.setdefault(SEEN, set())
    # before the component answers, its default response has no id: the code given is shown;
    # a selection's answer carries the text as it was when Ace was last set up (a stale copy
    # that, passed back, would reset the editor): the code given stays
    answered = response.get("id") and response.get("type") != "selection"
    text = response.get("text", "") if answered else code
    submitted = response.get("type") == "submit" and response.get("id") not in seen
    fresh = response.get("id") and response["id"] not in seen
    if response.get("id"):
        seen.add(response["id"])
    if fresh and on_select and response.get("type") == "selection":
        line = selection_line([response.get("text") or "", code],
                              response.get("selected") or "", response.get("cursor"))
        if line is not None:
            on_select(line)
    return text, submitted
