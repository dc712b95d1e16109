"""The "PyTorch compiled" view on the explorer page: what PyTorch's own graph modes do with
the same code (torch.compile, torch.export, TorchScript), each computed on demand by the
``modes`` job when the user picks it, so a Run never waits for it. The page only draws the
job's display data: graphs through ``explorer.modes.draw``, the badge of the twin's check."""
from __future__ import annotations

import streamlit as st

from explorer.graph import Graph
from explorer.modes import draw
from pages.ui import graph_panel, results, runner
from pages.ui.viewer import graph_viewer

MODE = "explorer.modes.mode"
RESULT = "explorer.modes.result"
EXPORT_CODE = "explorer.modes.export_code"
SLOT = "modes"
LANE = "modes"  # its own lane: picking a mode never cancels the Run in flight
LABELS = {"compile": "torch.compile", "export": "torch.export",
          "torchscript": "TorchScript (deprecated)"}


def _graph(graph_json: dict | None, key: str, height: int = 460) -> None:
    if not graph_json:
        return
    graph = Graph.from_json(graph_json)
    svg = graph_panel.svg_text(draw.to_dot(graph))
    graph_viewer(svg, key=f"modes.{key}.viewer", height=height)


def _badge(check: dict | None, what: str) -> None:
    if not check:
        return
    if check.get("status") != "ok":
        st.warning(f"{what} ran, but its result could not be compared with eager: "
                   f"{check.get('message', '')}", icon=":material/warning:")
        return
    results.check_badge(check)  # the twin's badge: the same words, the same tolerance
    st.caption(f"Against eager PyTorch: {check.get('message', '')}.")


def _refusal(view: dict) -> None:
    st.warning(view.get("message") or view.get("status"), icon=":material/block:")
    if view.get("torch_message"):
        with st.expander("What PyTorch said"):
            st.code(view["torch_message"], language=None)


def compile_view(view: dict) -> None:
    st.caption(view.get("note", ""))
    breaks = view["graph"].get("graph_breaks") or []
    cols = st.columns(3)
    cols[0].metric("FX graphs", view.get("graph_count", "-"))
    cols[1].metric("Graph breaks", view.get("break_count", "-"))
    new = sum(r.get("new_graphs", 0) for r in view.get("recompiles", []))
    cols[2].metric("Recompilations", new, help="new graphs the Compare inputs seeds made")
    _badge(view.get("check"), "torch.compile")
    for brk in breaks:
        st.error(f"**Graph break.** {brk['reason']}", icon=":material/content_cut:")
        said = ("Dynamo's graph-break log (explain counts no break: no graph ended here)"
                if brk.get("before_any_op") else "torch._dynamo.explain")
        with st.expander(f"What {said} says"):
            st.code(brk.get("torch_reason", ""), language=None)
    _graph(view["graph"], "compile")
    if view.get("guards"):
        with st.expander("Guards: what torch.compile checks before reusing these graphs"):
            st.markdown("\n".join(f"- {g['text']}" for g in view["guards"]))
    if view.get("recompiles"):
        st.dataframe([{"input seed": r["input_seed"],
                       "new graphs captured": r.get("new_graphs", r.get("error", ""))}
                      for r in view["recompiles"]], hide_index=True, width="stretch")
        st.caption("Each input seed of \u201cCompare inputs\u201d on the same compiled forward: "
                   "an input that takes another path makes Dynamo capture that path's graph.")


def export_view(view: dict, code: str) -> None:
    st.caption(view.get("note", ""))
    if view.get("status") == "ok":
        _badge(view.get("check"), "torch.export")
        _graph(view["graph"], "export")
        return
    _refusal(view)
    if view.get("rewrite_problem"):
        st.info(f"No torch.cond form: {view['rewrite_problem']}", icon=":material/info:")
    if view.get("cond_code"):
        st.markdown("**The same code with torch.cond / while_loop** (edit it and export again)")
        edited = st.text_area("torch.cond code", view["cond_code"], height=320,
                              key=f"{EXPORT_CODE}.editor", label_visibility="collapsed")
        if st.button("Export this code", icon=":material/play_arrow:"):
            st.session_state[EXPORT_CODE] = (code, edited)
            st.rerun()
    rewrite = view.get("rewrite") or {}
    if rewrite.get("status") == "ok":
        _badge(rewrite.get("check"), "The torch.cond version")
        _graph(rewrite["graph"], "export.cond")


def torchscript_view(view: dict) -> None:
    st.warning(f"**Deprecated.** {view['script'].get('deprecation') or 'torch.jit is deprecated.'}"
               " Shown as the course teaches it.", icon=":material/history:")
    st.caption(view.get("note", ""))
    script, trace = st.tabs(["torch.jit.script", "torch.jit.trace"])
    with script:
        part = view["script"]
        if part["status"] != "ok":
            _refusal(part)
        else:
            _badge(part.get("check"), "torch.jit.script")
            _graph(part["graph"], "script")
    with trace:
        part = view["trace"]
        if part["status"] != "ok":
            _refusal(part)
            return
        for w in part.get("warnings", []):
            where = f"line {w['line']}: " if w.get("line") else ""
            st.warning(f"**TracerWarning** {where}{w['message']}", icon=":material/route:")
        _badge(part.get("check"), "torch.jit.trace")
        if part.get("replays"):
            st.dataframe([{"input seed": r["input_seed"],
                           "trace gives eager's answer": r.get("same_as_eager", r.get("error"))}
                          for r in part["replays"]], hide_index=True, width="stretch")
            st.caption("The trace recorded the path this input took; on an input that takes "
                       "another path it still runs the recorded one.")
        _graph(part["graph"], "trace")


def show(result: dict, code: str, seed: int, device: str) -> None:
    """Below a Run that ran (``result``: the explore job's), for the code, seed and device
    it ran with."""
    if result.get("status") != "ok":
        return
    st.markdown("#### PyTorch compiled \u00b7 what PyTorch itself does with this code")
    mode = st.segmented_control("PyTorch's graph mode", list(LABELS), format_func=LABELS.get,
                                key=MODE)
    if not mode:
        st.caption("Pick a mode: it runs on demand in a worker, after your Run.")
        return
    edit = st.session_state.get(EXPORT_CODE)
    export_code = edit[1] if mode == "export" and edit and edit[0] == code else None
    inputs = tuple(st.session_state.get(results.COMPARE_SEEDS) or (1, 2, 3))
    settings = (code, seed, device, mode, export_code, inputs)
    stored = st.session_state.get(RESULT)
    if not stored or stored[0] != settings:
        request = {"code": code, "seed": seed, "device": device, "mode": mode,
                   "input_seeds": list(inputs)}
        if export_code:
            request["export_code"] = export_code
        runner.submit(SLOT, "modes", request, lane=LANE)  # cancels one for older settings
        stored = (settings, runner.wait(SLOT, f"Running {LABELS[mode]}..."))
        st.session_state[RESULT] = stored
    view = stored[1] or {}
    if view.get("status") not in ("ok", "unsupported"):
        results.show_failure(view)
    elif mode == "compile":
        compile_view(view)
    elif mode == "export":
        export_view(view, code)
    else:
        torchscript_view(view)
