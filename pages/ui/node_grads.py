"""Each node's gradient for the explorer page's graph: the ``grads`` job (the Gradients page's
engine: hooks on every autograd node of a fresh run of the same code, seed and device), run
once per code and settings when the page first asks, and kept in the session."""
from __future__ import annotations

import streamlit as st

from explorer.graph import Graph
from pages.ui import runner

SLOT = "explorer.node_grads"
STORE = "explorer.node_grads.result"  # (request key, result)


def nodes(graph: Graph, request: dict) -> dict[str, dict] | None:
    """The job's per-node gradients (``gradients.flow``: ``grad_in``, ``grad_norm``) where its
    graph is the page's (same node ids), else None with a caption saying why."""
    key = (request["code"], int(request.get("seed", 0)), request.get("device", "cpu"))
    stored = st.session_state.get(STORE)
    if not stored or stored[0] != key:
        if not runner.waiting(SLOT):
            runner.submit(SLOT, "grads", {"code": key[0], "seed": key[1], "device": key[2]})
        result = runner.wait(SLOT, "Running backward for each node's gradient...")
        stored = (key, result or {})
        st.session_state[STORE] = stored
    result = stored[1]
    if result.get("status") != "ok":
        st.caption(f"No gradients: {result.get('message') or result.get('status')}")
        return None
    ids = {n.id for n in graph.nodes}
    if not set(result.get("nodes", {})) <= ids:
        st.caption("No gradients: the backward run built another graph (random control "
                   "flow?); run again.")
        return None
    return result["nodes"]
