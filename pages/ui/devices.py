"""What the workers' PyTorch can run on, for the device pickers: the same for every visitor,
so cached for all. A CPU build is known from torch's files at once; only a CUDA build asks a
worker (which waits for the sandbox's warm template on the first visit)."""
from __future__ import annotations

import streamlit as st

from explorer import jobs, sandbox, torch_build


@st.cache_data(ttl=600, show_spinner=False)
def environment() -> dict:
    # asked as a GPU run: only a GPU run's worker is confined so that CUDA can initialise
    sandbox.registry.use(jobs.TABLE)
    return torch_build.environment_without_worker() or sandbox.run_job(
        "environment", {"device": "cuda"}, gpu=True)


def gpu(env: dict) -> bool:
    return bool(env.get("status") == "ok" and env.get("cuda"))
