"""Streamlit widgets shared by the pages (the graph viewer, the code editor, result panels).

Like the pages, these import streamlit; the engine under explorer/ never does."""
