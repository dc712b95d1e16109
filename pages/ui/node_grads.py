"""Each node's gradient for the explorer page's graphs: the ``grads`` job for the PyTorch graph
(the Gradients page's engine: hooks on every autograd node of a fresh run of the same code,
seed and device), the ``twin_values`` job for the tf.function graph (each op's value and
gradient, ``explorer.twin.op_values``); run once per code and settings when the page first
asks, and kept in the session."""
from __future__ import annotations

import streamlit as st

from explorer.graph import Graph
from pages.ui import runner

SLOT = "explorer.node_grads"
STORE = "explorer.node_grads.result"  # (request key, result), per job
LABELS = {"grads": "Running backward for each node's gradient...",
          "twin_values": "Running the tf.function twin for each op's value and gradient..."}


def nodes(graph: Graph, request: dict, job: str = "grads") -> dict[str, dict] | None:
    """The job's per-node data where its graph is the page's (same node ids), else None with
    a caption saying why. ``grads`` (``gradients.flow``: ``grad_in``, ``grad_norm``) for the
    PyTorch graph; ``twin_values`` (``forward``, ``grad_in``) for the tf.function graph."""
    key = (request["code"], int(request.get("seed", 0)), request.get("device", "cpu"),
           request.get("tf_code"))
    slot, store = f"{SLOT}.{job}", f"{STORE}.{job}"
    stored = st.session_state.get(store)
    if not stored or stored[0] != key:
        if not runner.waiting(slot):
            runner.submit(slot, job, {k: v for k, v in zip(("code", "seed", "device", "tf_code"),
                                                            key) if v is not None})
        result = runner.wait(slot, LABELS.get(job, "Running..."))
        stored = (key, result or {})
        st.session_state[store] = stored
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
