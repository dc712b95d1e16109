"""The Explorer page's lesson picker: which lesson the editor's code came from, links that
open a lesson (``?lesson=NAME``, the file's name or the card's title), re-picking and
resetting a lesson after editing it.

The picker holds a lesson's name while the editor shows that lesson's code, and ``EDITED``
once the code differs from it (an edit, a share link): picking a lesson is then a change,
even the lesson the code came from, so it loads that lesson's code again. The lesson the code
came from (``BASE``) stays in the URL, so a link copied from the address bar opens it."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from explorer import lessons

LESSON = "lesson"                       # the picker's key, and the URL's query parameter
BASE = "explorer.base_lesson"           # the lesson the editor's code came from
PROBLEM = "explorer.lesson_problem"     # why the link's lesson could not be opened
EDITED = "(edited)"                     # the picker's value while the code is no lesson's
LESSONS = {lesson.name: lesson for lesson in lessons.all_lessons()}


def from_link(value: str | None) -> tuple[str, str | None]:
    """The lesson a link names (its name, or its title as older links carried it), and why
    not when it names none: (the lesson to open, a problem or None)."""
    if not value:
        return lessons.DEFAULT, None
    by_title = {lesson.title.casefold(): name for name, lesson in LESSONS.items()}
    name = value if value in LESSONS else by_title.get(value.strip().casefold())
    if name is None:
        return lessons.DEFAULT, (f"This link asks for a lesson named \u201c{value}\u201d, and "
                                 f"there is none; the lessons are: {', '.join(LESSONS)}. "
                                 "Showing the first lesson instead.")
    return name, None


def prepare(code: str | None, from_share_link: bool) -> None:
    """Before the picker is drawn: on the first visit, the lesson the link names; later, the
    picker shows ``EDITED`` when the editor's ``code`` is not its lesson's."""
    if BASE not in st.session_state:
        name, problem = from_link(st.query_params.get(LESSON))
        st.session_state[BASE] = name
        st.session_state[PROBLEM] = problem
        st.session_state[LESSON] = EDITED if from_share_link else name
    elif code is not None and code != LESSONS[st.session_state[BASE]].code:
        st.session_state[LESSON] = EDITED


def base() -> lessons.Lesson:
    return LESSONS[st.session_state[BASE]]


def picked() -> None:
    """on_change of the picker: a lesson chosen becomes the lesson the code comes from."""
    if st.session_state[LESSON] != EDITED:
        st.session_state[BASE] = st.session_state[LESSON]


def labels() -> dict[str, str]:
    """What the picker shows for each of its values (fixed for this run of the page)."""
    edited_label = ("Code from a shared link" if st.session_state.get("explorer.from_link")
                    else f"Your edit of \u201c{base().title}\u201d")
    return {EDITED: edited_label, **{name: lesson.title for name, lesson in LESSONS.items()}}


def picker(container, on_pick: Callable[[], None]) -> None:
    """The selectbox; ``on_pick`` loads the lesson picked (after ``picked`` noted it)."""
    options = list(LESSONS)
    if st.session_state.get(LESSON) == EDITED:
        options = [EDITED, *options]

    def changed() -> None:
        picked()
        if st.session_state[LESSON] != EDITED:
            on_pick()

    container.selectbox("Lesson", options, format_func=labels().get, key=LESSON,
                        on_change=changed,
                        help="Pick a lesson to load its code. After you edit it, pick it "
                             "again (or press Reset to the lesson) to get it back.")


def keep_in_url() -> None:
    """The lesson the code came from stays in the address bar (and so in a copied link)."""
    if st.query_params.get(LESSON) != st.session_state[BASE]:
        st.query_params[LESSON] = st.session_state[BASE]


def edited(code: str) -> bool:
    return code != base().code


def flag_edit(code: str) -> None:
    """After the editor (its code stored): code that just left its lesson flips the picker to
    ``EDITED``, on a rerun since the picker is already drawn, so that picking the lesson again
    loads it. Not while a Run is asked for: the run's own rerun flips it."""
    if edited(code) and st.session_state.get(LESSON) != EDITED:
        st.rerun()
