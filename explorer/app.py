"""Entry of the Streamlit app: page config and navigation, nothing else.

Run with ``streamlit run explorer/app.py``. Pages live in ``pages/`` at the repository root
and are found by absolute path, so the app starts the same from any working directory."""
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "pages"


def main() -> None:
    st.set_page_config(page_title="Graph Explorer", page_icon=":material/account_tree:",
                       layout="wide")
    page = st.navigation([
        st.Page(PAGES / "explorer.py", title="Explorer", icon=":material/account_tree:",
                default=True),
    ])
    page.run()


main()
