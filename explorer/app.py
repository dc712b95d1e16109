"""Entry of the Streamlit app: page config and navigation, nothing else.

Run with ``streamlit run explorer/app.py``. Pages live in ``pages/`` at the repository root
and are found by absolute path, so the app starts the same from any working directory."""
import threading
from pathlib import Path

import streamlit as st

from explorer import jobs, sandbox

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "pages"


@st.cache_resource
def warm_pool() -> threading.Thread:
    """Start the sandbox's warm template (seconds of imports) once per server, in the
    background, so the first visitor does not wait for it. The app's runs are the jobs', on
    the warm pool (a fork of that template per run)."""
    sandbox.registry.use(jobs.TABLE)
    thread = threading.Thread(target=sandbox.scheduler().warm_up, name="warm-pool",
                              daemon=True)
    thread.start()
    return thread


def main() -> None:
    projector = st.query_params.get("layout") == "present"  # pages/ui/present.py
    st.set_page_config(page_title="Graph Explorer", page_icon=":material/account_tree:",
                       layout="wide",
                       initial_sidebar_state="collapsed" if projector else "auto")
    warm_pool()
    page = st.navigation([
        st.Page(PAGES / "explorer.py", title="Explorer", icon=":material/account_tree:",
                default=True),
        st.Page(PAGES / "gradients.py", title="Gradients", icon=":material/gradient:"),
        st.Page(PAGES / "training.py", title="Training", icon=":material/monitoring:"),
        st.Page(PAGES / "about.py", title="About this server", icon=":material/shield:"),
    ])
    page.run()


main()
