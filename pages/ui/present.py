"""The presentation layout (``?layout=present``): for a projector of 1280x720, the code
narrow on the left and both graphs large beside it, on the first screen, with larger fonts;
the lesson's text folds away. The rest of the page (numbers, node details, tabs) follows
below the fold."""
from __future__ import annotations

import streamlit as st

LAYOUT = "layout"          # the widget's key and the URL's query parameter
PRESENT = "present"
LAYOUTS = {"page": "Page", PRESENT: "Projector"}
COLUMNS = [0.82, 1.09, 1.09]    # editor, PyTorch graph, tf.function graph
GRAPH_HEIGHT = 420              # px of each graph at 1280x720, under its bar and the stepper
GRAPH_HEIGHT_PAGE = 560
EDITOR_LINES = (12, 21)         # the editor's least and most lines before it scrolls
EDITOR_FONT_PX = 15

# Larger text for the back of the room, less padding around the page: the first screen
# holds the controls, the editor and both graphs.
CSS = """
<style>
[data-testid="stMainBlockContainer"], .block-container {
  padding-top: 0.6rem !important; padding-bottom: 1rem !important;
  padding-left: 1rem !important; padding-right: 1rem !important; max-width: 100% !important; }
[data-testid="stHeader"] { display: none; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {
  font-size: 1.12rem; }
[data-testid="stWidgetLabel"] p { font-size: 0.95rem; }
[data-testid="stVerticalBlock"] { gap: 0.5rem; }
</style>
"""


def is_on() -> bool:
    """Whether this page is in the presentation layout (read before the control is drawn):
    on the first visit, as the link says (``?layout=present``)."""
    if LAYOUT not in st.session_state:
        st.session_state[LAYOUT] = PRESENT if st.query_params.get(LAYOUT) == PRESENT else "page"
    return st.session_state[LAYOUT] == PRESENT


def control(container) -> bool:
    """The layout switch, kept in the URL (``layout=present``; nothing for the page layout),
    so a link copied from the address bar opens the layout it was copied from. Not bound by
    Streamlit, which would put the label ("Projector") in the URL."""
    value = container.radio("Layout", list(LAYOUTS), key=LAYOUT, horizontal=True,
                            format_func=LAYOUTS.get,
                            help="Projector: code and both graphs on one 1280x720 screen, "
                                 "larger fonts (link: add ?layout=present)")
    if value == PRESENT and st.query_params.get(LAYOUT) != PRESENT:
        st.query_params[LAYOUT] = PRESENT
    elif value != PRESENT and LAYOUT in st.query_params:
        del st.query_params[LAYOUT]
    return value == PRESENT


def style() -> None:
    st.markdown(CSS, unsafe_allow_html=True)
