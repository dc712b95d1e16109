"""Panels of the gradients page: live sliders, the stepper's node, leaf gradients, memory
kept for backward, the TensorFlow twin's gradients and the finite-difference check."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.details import format_bytes
from explorer.gradients.flags import FLAG_TEXT
from explorer.graph import Graph
from pages.ui import runner
from pages.ui.grad_plots import gradient_figure

KINDS = {"input_element": "Input element", "param_element": "Parameter element"}
GRADCHECK = "grads.gradcheck"


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)


def sliders(base: dict | None, key: str) -> dict:
    """Input scale, one input element and one parameter element: the request's edits."""
    edits: dict = {}
    cols = st.columns(3)
    scale = cols[0].slider("Input scale", 0.0, 3.0, 1.0, 0.05, key=f"{key}.scale",
                           help="Multiplies every floating input of forward.")
    if scale != 1.0:
        edits["input_scale"] = scale
    if base is None:
        return edits
    for col, (kind, label) in zip(cols[1:], KINDS.items()):
        tensors = {n: t for n, t in base.get(kind, {}).items() if t["value"] is not None}
        with col:
            if not tensors:
                st.caption(f"{label}: none to edit in this snippet.")
                continue
            inner = st.columns([3, 2])
            name = inner[0].selectbox(label, list(tensors), key=f"{key}.{kind}.name")
            values = np.asarray(tensors[name]["value"], dtype=np.float64).reshape(-1)
            shape = tensors[name]["shape"]
            flat = inner[1].number_input("element", 0, max(values.size - 1, 0), 0,
                                         key=f"{key}.{kind}.{name}.flat",
                                         help="Its position in the flattened tensor.")
            index = [int(i) for i in np.unravel_index(flat, shape)] if shape else []
            start = float(values[flat])
            span = max(1.0, 2 * abs(start))
            value = st.slider(f"{name}{index}", start - span, start + span, start, span / 100,
                              key=f"{key}.{kind}.{name}.{flat}", format="%.3f")
            if value != start:
                edits[kind] = {"name": name, "index": index, "value": value}
    return edits


def headline(result: dict, graph: Graph) -> None:
    leaves = result["leaves"]
    flagged = [n for n in result["nodes"].values() if n.get("flag")]
    output = graph.output.get("value") or (graph.output.get("items") or [{}])[0].get("value")
    total = np.sqrt(sum((l["norm"] or 0) ** 2 for l in leaves.values()
                        if isinstance(l["norm"], (int, float))))
    cols = st.columns(5)
    cols[0].metric("Output", _number(output[0]) if output else "-")
    cols[1].metric("Leaves with .grad", f"{sum(l['used'] for l in leaves.values())}/{len(leaves)}")
    cols[2].metric("All leaf gradients, norm", f"{total:.4g}")
    cols[3].metric("Kept for backward", format_bytes(result["saved_bytes"]))
    cols[4].metric("Backward", f"{result['timings'].get('backward_s', 0) * 1000:.1f} ms")
    for node in flagged[:5]:
        st.warning(f"{node['op']}: {FLAG_TEXT[node['flag']]} (norm {_number(node['grad_norm'])})",
                   icon=":material/warning:")


def _summary_rows(items: list[dict], what: str) -> list[dict]:
    return [{what: item.get("to", f"grad_output[{i}]"), "shape": str(item.get("shape")),
             "norm": _number(item.get("norm")), "min": _number(item.get("min")),
             "max": _number(item.get("max")), "mean": _number(item.get("mean"))}
            for i, item in enumerate(items)]


def step_details(result: dict, order: list[str], step: int) -> None:
    node_id = order[step]
    node = result["nodes"][node_id]
    st.markdown(f"**Step {step + 1} of {len(order)}: `{node_id}`** ({node['op']}): "
                "receives the gradient of the output with respect to its result, sends one "
                "back to each of its inputs.")
    if node.get("grad_in"):
        st.caption("Gradient coming in (from the output side)")
        st.table(_summary_rows(node["grad_in"], "from"), hide_index=True)
    if node.get("grad_out"):
        st.caption("Gradients going out (to the inputs of the forward op)")
        st.table(_summary_rows(node["grad_out"], "to"), hide_index=True)


def leaf_gradients(result: dict) -> None:
    st.markdown("**Leaf gradients**: `.grad` of every parameter and every input that "
                "requires grad.")
    for name, leaf in result["leaves"].items():
        with st.container(border=True):
            if not leaf["used"]:
                st.markdown(f"`{name}` {leaf['shape']}: no gradient reached it, so its `.grad` "
                            "stays None (cut off by detach or no_grad, or not used).")
                continue
            st.markdown(f"`{name}` {leaf['shape']} \u00b7 norm {_number(leaf['norm'])} \u00b7 "
                        f"min {_number(leaf['min'])} \u00b7 max {_number(leaf['max'])} \u00b7 "
                        f"mean {_number(leaf['mean'])}")
            if leaf.get("flag"):
                st.warning(FLAG_TEXT[leaf["flag"]], icon=":material/warning:")
            figure = gradient_figure(leaf["grad"], f"{name}.grad")
            if figure is not None:
                st.plotly_chart(figure, key=f"grads.leaf.{name}", config={"displayModeBar": False})


def saved_memory(result: dict) -> None:
    rows = [{"node": node_id, "op": n["op"], "tensors kept": n.get("saved_tensors", 0),
             "memory": format_bytes(n.get("saved_bytes", 0))}
            for node_id, n in result["nodes"].items() if n.get("saved_bytes")]
    saved = result["saved"]
    with st.expander(f"Memory kept for backward: {format_bytes(saved['total_bytes'])} in "
                     f"{saved['storages']} block(s)"):
        st.caption("Each op saves the tensors its backward formula needs (its inputs, or its "
                   f"result). Of the total, {format_bytes(saved['leaf_bytes'])} are leaves that "
                   f"exist anyway and {format_bytes(saved['activation_bytes'])} are "
                   "intermediate results kept alive only for backward.")
        if rows:
            st.table(rows, hide_index=True)


def twin_gradients(twin: dict | None, enabled: bool) -> None:
    if not enabled:
        return
    st.markdown("**TensorFlow's gradients** (`tf.GradientTape` on the twin, snippet as written)")
    if not twin or twin.get("status") != "ok":
        st.info((twin or {}).get("message", "No twin result."), icon=":material/info:")
        return
    rows = [{"tensor": g["name"], "torch norm": _number(g["torch"]["norm"]),
             "TensorFlow norm": _number(g["tf"]["norm"]),
             "largest difference": _number(g["max_abs_diff"]), "agree": g["close"]}
            for g in twin["grads"]]
    st.table(rows, hide_index=True)
    st.caption(twin.get("message", ""))
    shown = [g for g in twin["grads"] if g["torch"]["values"] is not None]
    if shown:
        pick = st.selectbox("Side by side", [g["name"] for g in shown], key="grads.twin.pick")
        g = next(g for g in shown if g["name"] == pick)
        cols = st.columns(2)
        for col, side, label in ((cols[0], "torch", "PyTorch autograd"),
                                 (cols[1], "tf", "TensorFlow GradientTape")):
            figure = gradient_figure(g[side]["values"], f"{label}: {pick}")
            if figure is not None:
                col.plotly_chart(figure, key=f"grads.twin.{side}", config={"displayModeBar": False})


def gradcheck(request: dict) -> None:
    """On demand: autograd against central finite differences in float64."""
    stored = st.session_state.get(GRADCHECK)
    if st.button("Check against finite differences (float64)", icon=":material/functions:"):
        runner.submit("gradcheck", "grads", {**request, "twin": False, "gradcheck": True})
        stored = (request, runner.wait("gradcheck", "Nudging every checked element..."))
        st.session_state[GRADCHECK] = stored
    if not stored or stored[0] != request:
        return
    result = stored[1]
    check = result.get("gradcheck") if result.get("status") == "ok" else None
    if not check:
        st.error(result.get("message", "The check could not run."), icon=":material/error:")
        return
    verdict = {True: ("success", "Autograd agrees with finite differences"),
               False: ("error", "Autograd DISAGREES with finite differences"),
               None: ("info", "Nothing to check")}[check["ok"]]
    getattr(st, verdict[0])(f"{verdict[1]}: {check['checked']} of {check['elements']} elements "
                            f"checked, largest error {_number(check['max_abs_error'])} "
                            f"(abs), {_number(check['max_rel_error'])} (rel); tolerance atol "
                            f"{check['atol']:g}, rtol {check['rtol']:g}.")
    st.table([{"leaf": name, "checked": f"{leaf['checked']}/{leaf['elements']}",
               "largest error": _number(leaf["max_abs_error"]), "agrees": leaf["ok"],
               "worst element": str(leaf["worst"]["index"]) if leaf.get("worst") else "-",
               "autograd": _number((leaf.get("worst") or {}).get("autograd", "-")),
               "finite difference": _number((leaf.get("worst") or {}).get("numeric", "-"))}
              for name, leaf in check["leaves"].items()], hide_index=True)
    if check.get("cut"):
        st.caption("Not in the verdict: " + ", ".join(check["cut"]) + " change the output but "
                   "autograd never reached them (detach or no_grad cut the path).")
