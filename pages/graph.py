"""First page: snippet text in, the autograd graph of one run out."""
import streamlit as st

from explorer import render, sandbox
from explorer.graph import Graph
from explorer import lessons

CODE = "graph.code"
RESULT = "graph.result"

st.title("Autograd graph")
st.caption("Write a `forward` with any Python control flow; see the graph *this run* built.")
code = st.text_area("Snippet", value=st.session_state.get(CODE, lessons.default().code), height=320,
                    key=CODE)
view = st.radio("View", render.VIEWS, horizontal=True, key="graph.view")
if st.button("Run", type="primary") or RESULT not in st.session_state:
    with st.spinner("Running in a worker process..."):
        st.session_state[RESULT] = sandbox.run_job("graph", {"code": code, "seed": 0})
result = st.session_state[RESULT]
if result["status"] != "ok":
    st.error(result.get("message", result["status"]))
    if result.get("hint"):
        st.info(result["hint"])
else:
    graph = Graph.from_json(result["graph"])
    dot = render.to_dot(graph, view)
    if render.dot_available():
        st.image(render.run_dot(dot).decode(), width="content")
    else:
        st.graphviz_chart(dot)
