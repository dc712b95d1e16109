"""The explorer page's result panels: headline, the two graphs, executed path, compare, code."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from explorer import compare, executed, linked, render, share
from explorer.graph import Graph
from pages.ui import graph_panel, linking, modules_ui, runner

UNFINISHED_WORDS = {"timeout": "it was stopped at the run's time limit",
                    "memory": "it was stopped when the run ran out of memory"}
PENDING = {False: "Tracing the tf.function twin of this code: AutoGraph turns it into a "
                  "static graph before any data flows...",
           True: "The tf.function graph is drawn. Its outputs and gradients are being checked "
                 "against PyTorch's..."}
NO_TF_VALUES = {  # why the tf.function graph prints no values: too big, or the run goes on
    True: f"No values to print: the tf.function twin gives its ops' values for graphs of up "
          f"to {linked.VALUED_OPS_MAX:,} ops (each op's gradient costs as much as the check).",
    False: "The ops' values can be printed when this run has finished."}
ROLE_ORDER = {"then_branch": 0, "else_branch": 1, "cond": 2, "body": 3}  # as the code reads
COMPARE_SEEDS = "explorer.compare_seeds"
COMPARE_RESULT = "explorer.compare_result"


@dataclass
class Places:
    """Where the panels go: placeholders (``st.empty()``) the page made before a run waits,
    so that while a new run is on its way they are empty, not the previous run's. ``torch``
    and ``tf`` None: both graphs side by side in ``rest`` (the page layout)."""

    torch: object | None
    tf: object | None
    rest: object

    @classmethod
    def one(cls, slot) -> Places:
        return cls(None, None, slot)


def line_notes(code: str, run: dict) -> dict[int, str]:
    if not code or "trace" not in run:
        return {}
    return executed.line_notes(code, run["trace"])


def share_box(code: str, settings: dict) -> None:
    with st.popover("Share link", icon=":material/link:", width="stretch"):
        url = share.share_url(st.context.url or "", code, settings)
        st.caption("Anyone who opens this link gets this code and these settings.")
        st.code(url, language=None, wrap_lines=True)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def show_failure(result: dict) -> None:
    st.error(result.get("message") or result.get("status"), icon=":material/error:")
    if result.get("source_line"):
        st.code(f"{result['line']:>4} | {result['source_line']}", language="python")
    if result.get("hint"):
        st.info(result["hint"], icon=":material/lightbulb:")
    if result.get("stdout"):
        with st.expander("Printed output"):
            st.code(result["stdout"], language=None)


def check_badge(twin: dict) -> None:
    if not twin:
        return
    if twin.get("status") == "no-twin":
        st.warning(f"**No static twin.** {twin.get('message', '')}", icon=":material/block:")
    elif twin.get("status") == "pending":
        st.info(twin.get("message", ""), icon=":material/hourglass_top:")
    elif twin.get("status") == "unfinished":
        st.warning(f"**The TensorFlow twin did not finish.** {twin.get('message', '')}",
                   icon=":material/hourglass_disabled:")
    elif twin.get("status") != "ok":
        st.warning(f"The TensorFlow twin failed: {twin.get('message', twin.get('status'))}",
                   icon=":material/warning:")
    elif twin.get("equivalent"):
        gap = max(twin.get('max_abs_diff_output', 0), twin.get('max_abs_diff_grads', 0))
        st.success(f"Outputs and gradients agree: largest difference {gap:.2g}"
                   " (float32).", icon=":material/check_circle:")
    else:
        st.error(f"Outputs or gradients differ: {twin.get('message', '')}",
                 icon=":material/cancel:")


def headline(run: dict, graph: Graph, twin: dict) -> None:
    timings = run.get("timings", {})
    cols = st.columns(5)
    cols[0].metric("Output", compare.output_text(graph))
    cols[1].metric("Forward", _ms(timings.get("forward_s")))
    cols[2].metric("Backward", _ms(timings.get("backward_s")))
    cols[3].metric("Autograd nodes", compare.autograd_nodes(graph),
                   help="Autograd Nodes this run recorded (the graph's operations; leaves and "
                        "the output are not Nodes). Compare inputs counts the same way.")
    tf_graph = twin.get("graph")
    cols[4].metric("tf.function ops", len(tf_graph["nodes"]) if tf_graph else "-")
    check_badge(twin)
    if run.get("backward_error"):
        err = run["backward_error"]
        st.warning(f"backward() failed: {err['message']}", icon=":material/warning:")
        if err.get("hint"):
            st.info(err["hint"], icon=":material/lightbulb:")


def torch_panel(graph: Graph, view: str, device: str, height: int = 560,
                request: dict | None = None) -> None:
    st.markdown("**PyTorch** \u00b7 the graph *this run* built (define-by-run)")
    decoration = linking.value_decoration(graph, "torch", request)
    steps = linking.stepper(graph)
    boxes = modules_ui.controls(graph, "torch")
    node = graph_panel.show_graph(graph, key="torch", view=view, height=height,
                                  decoration=decoration, boxes=boxes,
                                  highlight={**linking.highlight(graph, "torch"), **steps},
                                  focus=linking.focus("torch"))
    modules_ui.choice(boxes, "torch")
    linking.follow(graph, "torch", node)
    graph_panel.node_picker(graph, key="torch")
    graph_panel.show_details(graph, node)
    st.caption(f"Blue: parameters \u00b7 green: inputs \u00b7 orange: output \u00b7 dashed arrow: "
               f"a tensor saved for backward \u00b7 ran on {device.upper()}"
               + (" (green border)" if device.startswith("cuda") else ""))
    graph_panel.downloads(graph, key="torch", view=view, name="autograd_graph", boxes=boxes)


def tf_panel(twin: dict, view: str, height: int = 560, modules: dict | None = None,
             request: dict | None = None) -> None:
    """``request`` (code, seed, device, tf_code): the values toggles' run of the twin (None
    while this Run goes on)."""
    st.markdown("**tf.function** \u00b7 the graph of the *same code* (define-and-run)")
    if not twin.get("graph"):
        st.caption(twin["message"] if twin.get("status") == "pending" else
                   "No static graph for this code; see the message with the numbers.")
        return
    graph = graph_panel.graph_of(twin["graph"])
    big = len(graph.nodes) > linked.VALUED_OPS_MAX
    decoration = linking.value_decoration(
        graph, "tf", None if big else request, job="twin_values",
        why_none=NO_TF_VALUES[big] if big or request is None else
        "No values to print: TensorFlow gave none for this graph's ops.")
    boxes = modules_ui.controls(graph, "tf", modules)  # the twin's ops carry torch's paths
    node = graph_panel.show_graph(graph, key="tf", view=view, height=height, boxes=boxes,
                                  decoration=decoration,
                                  highlight=linking.highlight(graph, "tf"),
                                  focus=linking.focus("tf"))
    modules_ui.choice(boxes, "tf")
    linking.follow(graph, "tf", node)
    graph_panel.node_picker(graph, key="tf")
    graph_panel.show_details(graph, node)
    branches = dict(sorted((graph.node(node).attrs.get("subgraphs", {}) if node else {}).items(),
                           key=lambda item: ROLE_ORDER.get(item[0], len(ROLE_ORDER))))
    if branches:
        st.markdown(f"**Inside `{node}`**: the functions this op runs, traced once each.")
        for tab, (role, name) in zip(st.tabs(list(branches)), branches.items()):
            with tab:
                graph_panel.show_graph(graph.subgraphs[name], key=f"tf.{role}", view=view,
                                       height=360,
                                       highlight=linking.highlight(graph.subgraphs[name]))
    st.caption("Purple 3-D boxes: control flow (If / While) that the static graph must hold "
               "for every path, because it is built before any data is seen.")
    graph_panel.downloads(graph, key="tf", view=view, name="tf_function_graph", boxes=boxes)


def executed_path(code: str, run: dict) -> None:
    branches = executed.control_flow(code, run.get("trace", {}))
    if not branches:
        st.caption("No if, loop or function in this code.")
        return
    st.dataframe([{"line": b.line, "statement": b.text, "this run": b.summary()}
                  for b in branches], hide_index=True, width="stretch")
    st.caption("The editor's gutter marks every line that ran (hover the \u24d8 icons).")


def compare_inputs(code: str, seed: int, device: str, view: str, twin: dict) -> None:
    st.caption("The same model (weights from the seed above) on different inputs. The first "
               "row is this run, as the page shows it (inputs() drawn after your module "
               "level, from the seed above); the others call torch.manual_seed(input seed) "
               "again just before inputs(). One static graph serves them all.")
    chosen = st.pills("Input seeds", list(range(8)), selection_mode="multi",
                      default=[0, 1, 2, 3], key=COMPARE_SEEDS)
    settings = (code, seed, device, tuple(chosen))
    stored = st.session_state.get(COMPARE_RESULT)
    if st.button("Compare", icon=":material/compare_arrows:", disabled=len(chosen) < 2):
        runner.submit("compare", "explore", {"code": code, "seed": seed, "device": device,
                                             "input_seeds": chosen, "twin": False})
    if runner.waiting("compare"):
        stored = (settings, runner.wait("compare", "Running each input..."))
        st.session_state[COMPARE_RESULT] = stored
    if not stored or stored[0] != settings:
        return
    result = stored[1]
    if result.get("status") != "ok":
        show_failure(result)
        return
    static = graph_panel.graph_of(twin["graph"]) if twin.get("graph") else None
    view_model = compare.comparison(code, result["compare"], static, primary=result.get("run"))
    if view_model.failure:
        show_failure(view_model.failure)
        return
    st.dataframe(view_model.rows, hide_index=True, width="stretch", column_config={
        "nodes": st.column_config.NumberColumn("autograd nodes", help="As the metric above: "
                                               "the autograd Nodes each run recorded")})
    seeds = list(view_model.graphs)
    pick = st.selectbox("Show the graph of input seed", seeds, index=len(seeds) - 1)
    base = view_model.base_seed
    base_name = base if base == compare.THIS_RUN else f"input seed {base}"
    cols = st.columns(2)
    with cols[0]:
        st.markdown(f"**Dynamic graph, {pick if pick == compare.THIS_RUN else f'input seed {pick}'}"
                    f"** \u00b7 green: nodes {base_name} did not record")
        graph_panel.show_graph(view_model.graphs[pick], key="compare", view=view, height=480,
                               highlight={n: "gx-added" for n in view_model.added[pick]})
    with cols[1]:
        st.markdown("**The one static graph**, with what the runs did at its control flow")
        if static is not None:
            decoration = render.Decoration(node_lines=view_model.static_lines)
            graph_panel.show_graph(static, key="compare.static", view=view, height=480,
                                   decoration=decoration,
                                   highlight={n: "gx-taken" for n in view_model.static_lines})
        else:
            st.caption("No static twin for this code.")


def twin_code(twin: dict, tf_code_key: str) -> None:
    if twin.get("autograph_code"):
        with st.expander("AutoGraph's code: what tf.function really traced"):
            st.code(twin["autograph_code"], language="python")
    if twin.get("tf_code"):
        st.caption("The TensorFlow translation of your snippet. Edit it and run it instead of "
                   "the automatic one.")
        edited = st.text_area("TensorFlow code", twin["tf_code"], height=320,
                              key=f"{tf_code_key}.edit", label_visibility="collapsed")
        cols = st.columns(2)
        if cols[0].button("Run this TensorFlow code", icon=":material/play_arrow:"):
            st.session_state[tf_code_key] = edited
            st.rerun()
        if st.session_state.get(tf_code_key) and cols[1].button("Back to the automatic one"):
            del st.session_state[tf_code_key]
            st.rerun()


def show(result: dict, *, code: str, view: str, tf_code_key: str, places: Places,
         graph_height: int = 560) -> None:
    """The panels of ``result`` into ``places``: both graphs side by side in ``rest`` (the
    page), or each into its own column (the presentation layout), the rest below them."""
    rest = places.rest.container()
    if result.get("status") != "ok":
        with places.torch.container() if places.torch is not None else rest:
            show_failure(result)
        return
    run = result["run"]
    twin = result.get("twin") or {}
    if result.get("partial") and twin.get("status") == "unfinished":  # still running
        twin = {**twin, "status": "pending", "message": PENDING[bool(twin.get("graph"))]}
    elif result.get("unfinished") and twin.get("status") == "unfinished":  # why it stopped
        stopped = result["unfinished"]
        why = UNFINISHED_WORDS.get(stopped["status"], stopped.get("message", ""))
        twin = {**twin, "message": f"{twin.get('message', '')} ({why})"}
    graph = graph_panel.graph_of(run["graph"])
    if places.torch is None:
        with rest:
            headline(run, graph, twin)
            tf_graph = graph_panel.graph_of(twin["graph"]) if twin.get("graph") else None
            linking.line_picker(code, graph, tf_graph)
            linking.search_box({"torch": graph, "tf": tf_graph})
            left, right = st.columns(2)
    else:
        left, right = places.torch.container(), places.tf.container()
    partial = bool(result.get("partial"))  # the run goes on: nothing here may start a job
    with left:  # (a job of this lane would cancel it)
        torch_panel(graph, view, run.get("device", "cpu"), graph_height, None if partial else
                    {"code": code, "seed": run.get("seed", 0), "device": run.get("device", "cpu")})
    with right:
        tf_panel(twin, view, graph_height, graph.modules, None if partial else {
            "code": code, "seed": run.get("seed", 0), "device": run.get("device", "cpu"),
            "tf_code": twin.get("tf_code") if tf_code_key in st.session_state else None})
    with rest:
        if places.torch is not None:
            headline(run, graph, twin)
        if result.get("stdout"):
            with st.expander("Printed output"):
                st.code(result["stdout"], language=None)
        tabs = st.tabs(["Executed path", "Compare inputs", "TensorFlow code"])
        with tabs[0]:
            executed_path(code, run)
        with tabs[1]:
            if partial:
                st.caption("Compare inputs opens when this run has finished.")
            else:
                compare_inputs(code, run["seed"], run.get("device", "cpu"), view, twin)
        with tabs[2]:
            twin_code(twin, tf_code_key)
