"""Running a job for the page: a status while the worker runs; errors become results."""
from __future__ import annotations

import streamlit as st

from explorer import sandbox


def run_job(job: str, request: dict, *, label: str, timeout: float | None = None) -> dict:
    with st.spinner(label):
        return sandbox.run_job(job, request, **({"timeout": timeout} if timeout else {}))
