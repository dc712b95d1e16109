"""Gradients: every leaf's .grad, the gradient flowing out of every node, the backward pass
step by step, with sliders that re-run the snippet live."""
from __future__ import annotations

import hashlib

import streamlit as st

from explorer import lessons, render, render_flow
from explorer.gradients.flags import EXPLODING, VANISHING
from explorer.graph import Graph
from pages.ui import grad_panels, graph_panel, linking, runner

SOURCE = "grads.source"
SEED = "grads.seed"
SCALE = "grads.input_scale"
STEP = "grads.step"
TWIN = "grads.twin"
RESULTS = "grads.results"        # request key -> result, this session's recent runs
BASE = "grads.editable"          # values of the editable tensors with no slider moved
EXPLORER_CODE = "explorer.code"  # the Explorer page's snippet
YOURS = "Your snippet (Explorer page)"
LESSONS = {l.title: l for l in lessons.all_lessons() if not l.teaches_error}

st.markdown("### Gradients \u00b7 inspect them at any point")
st.caption("PyTorch keeps the graph of the run, so after `backward()` every leaf has a "
           "`.grad` and every node's gradient can be read with a hook. Move a slider: the "
           "snippet runs again in a worker and everything below updates.")

sources = ([YOURS] if st.session_state.get(EXPLORER_CODE) else []) + list(LESSONS)
top = st.columns([3, 1, 2])
source = top[0].selectbox("Code", sources, key=SOURCE)
seed = top[1].number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key=SEED)
code = st.session_state[EXPLORER_CODE] if source == YOURS else LESSONS[source].code
with top[2], st.popover("Show the code", icon=":material/code:", width="stretch"):
    st.code(code, language="python", line_numbers=True)

base = st.session_state.setdefault(BASE, {}).get((code, int(seed)))
slider_key = f"grads.{hashlib.sha1(code.encode()).hexdigest()[:10]}.{int(seed)}"
edits = grad_panels.sliders(base, key=slider_key)
twin = st.toggle("Compare with the TensorFlow twin (tf.GradientTape)", key=TWIN,
                 help="Adds the twin's gradients of the snippet as written (sliders at rest).")
request = {"code": code, "seed": int(seed), **edits, "twin": bool(twin)}
key = repr(sorted(request.items()))
cache = st.session_state.setdefault(RESULTS, {})
if key not in cache:
    runner.submit("grads", "grads", request)
    cache.clear()  # keep one: a drag produces many requests
    cache[key] = runner.wait("grads", "Running backward in a worker...")
result = cache[key]

if result.get("status") != "ok":
    st.error(result.get("message") or result.get("status"), icon=":material/error:")
    if result.get("hint"):
        st.info(result["hint"], icon=":material/lightbulb:")
    st.stop()
if not edits:
    st.session_state[BASE][(code, int(seed))] = result["editable"]
    if base is None:
        st.rerun()  # the sliders can now start from the tensors' own values

graph = Graph.from_json(result["graph"])
grad_panels.headline(result, graph)
order = result["order"]
left, right = st.columns([3, 2])
with left:
    st.markdown("**Gradient flow**: line width and colour grow with the gradient each "
                f"node sends back (log scale); purple dashed: below {VANISHING:g}, orange: "
                f"above {EXPLODING:g}.")
    step = st.slider("Backward step", 1, len(order), 1, key=STEP,
                     help="The order in which the autograd engine ran the nodes.") - 1 \
        if len(order) > 1 else 0
    decoration = render.Decoration(
        edge_style=render_flow.edge_styles(result["edges"]),
        node_style=render_flow.merge(render_flow.node_styles(result["nodes"]),
                                      render_flow.step_styles(order, step)))
    # the step's node came from a line of forward: shaded in the code, its nodes lit
    line, lit = linking.backward_highlight(graph, order[step]) if order else (None, {})
    graph_panel.show_graph(graph, key="grads", view="auto", decoration=decoration,
                           height=520, highlight=lit)
    if order:
        grad_panels.step_details(result, order, step)
with right:
    st.markdown(f"**The code**: line {line} made the step's node in forward; its other nodes "
                "are lit in orange." if line else "**The code** (the step's node is a leaf "
                "or came from no line of yours)")
    linking.code_view(code, line)
    grad_panels.leaf_gradients(result)
grad_panels.saved_memory(result)
grad_panels.twin_gradients(result.get("twin"), enabled=bool(twin))
grad_panels.gradcheck(request)
