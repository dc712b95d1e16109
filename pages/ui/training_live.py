"""The training page's live area: submit a run, follow its streamed records from a fragment
that reruns every few tenths of a second (progress, time left, Stop), and draw the curves,
gradient norms, decision boundaries, agreement and speed of the current run over the earlier
runs of the session."""
from __future__ import annotations

import time

import streamlit as st

from explorer.training import compare
from pages.ui import runner
from pages.ui import training_charts as charts
from pages.ui import training_controls as controls
from pages.ui import training_history as history

SLOT = "training"
CURRENT = "training.current"   # the run on screen: request, records, result
COUNTER = "training.counter"
POLL_S = 0.4


def start(request: dict) -> None:
    """Submit a run. A finished run is in the history already; one still running is
    cancelled by the new one (one training run per session, in a lane of its own: runs on
    the other pages do not cancel it) and kept with what it streamed."""
    previous = st.session_state.get(CURRENT)
    if previous and previous["result"] is None:
        previous["result"] = {"status": "cancelled", "message": "Replaced by a newer run."}
        history.add(previous)
    runner.submit(SLOT, "train", request, lane=runner.TRAINING)
    st.session_state[COUNTER] = st.session_state.get(COUNTER, 0) + 1
    st.session_state[CURRENT] = {"n": st.session_state[COUNTER], "request": request,
                                 "records": [], "result": None, "submitted": time.time(),
                                 "first_metrics": None}


def running() -> bool:
    run = st.session_state.get(CURRENT)
    return bool(run) and run["result"] is None


def _poll(run: dict) -> None:
    """New records in; once the result is in, the run joins the history and the whole page
    redraws (the fragment stops polling)."""
    progress = runner.follow(SLOT, len(run["records"]))
    if progress is None:  # the ticket is gone (a new server process): nothing more comes
        run["result"] = {"status": "cancelled", "message": "The run was lost."}
    else:
        run["records"].extend(progress.records)
        if run["first_metrics"] is None and any(r.get("kind") == "metrics"
                                                for r in progress.records):
            run["first_metrics"] = time.time()
        run["position"], run["stop"] = progress.position, progress.stop
        if progress.result is not None:
            run["result"] = progress.result
    if run["result"] is not None:
        history.add(run)
        st.rerun()


def _steps_done(run: dict) -> dict[str, int]:
    done: dict[str, int] = {}
    for record in run["records"]:
        if record.get("kind") == "metrics":
            done[record["framework"]] = record["step"]
    return done


def progress_bar(run: dict) -> None:
    """Steps done of each framework, time left, and Stop (which keeps what was learned)."""
    steps = run["request"]["steps"]
    done = _steps_done(run)
    cols = st.columns([6, 1], vertical_alignment="center")
    if run.get("position"):
        cols[0].info(f"Waiting for a worker: {run['position']} run(s) ahead of yours.",
                     icon=":material/hourglass_top:")
    elif not done:
        cols[0].progress(0.0, text="Starting a worker, loading the model and tracing the "
                                   "tf.function twin...")
    else:
        fraction = min(done.values()) / steps
        text = " · ".join(f"{charts.NAMES[f]} step {s:,} of {steps:,}" for f, s in done.items())
        if fraction < 1 and run["first_metrics"] and fraction > 0:
            spent = time.time() - run["first_metrics"]
            text += f" · about {spent * (1 - fraction) / fraction:.0f} s left"
        elif fraction >= 1 and run["request"].get("speed"):
            text += " · measuring speed..."
        cols[0].progress(min(fraction, 1.0), text=text)
    cols[1].button("Stop", icon=":material/stop:", key="training.stop", width="stretch",
                   on_click=run.get("stop"), help="Finish now and keep what the model "
                                                  "learned so far.")


def _live() -> None:
    run = st.session_state.get(CURRENT)
    if not run:
        return
    if run["result"] is None:
        _poll(run)
        progress_bar(run)
    show_run(run)


def show() -> None:
    """The live fragment: polling while a run streams, still once it is done."""
    st.fragment(_live, run_every=POLL_S if running() else None)()


def _setup(run: dict) -> dict:
    return next((r for r in run["records"] if r.get("kind") == "setup"), {})


def earlier_preset(run: dict) -> None:
    """Results on screen that belong to another preset than the one now picked are said to
    be of that earlier run, above them, so that a new description is never read over old
    curves."""
    shown, chosen = run["request"]["preset"], st.session_state.get(controls.PRESET)
    if chosen is None or chosen == shown:
        return
    state = "still running" if run["result"] is None else (
        "stopped" if (run["result"] or {}).get("stopped") else "finished")
    st.warning(f"**Below: run {run['n']}, of \u201c{controls.label(shown)}\u201d** ({state}). "
               f"The preset picked above is \u201c{controls.label(chosen)}\u201d: press "
               "Train to train it.", icon=":material/history:")


def show_run(run: dict) -> None:
    result, setup = run["result"] or {}, _setup(run)
    earlier_preset(run)
    if result and result.get("status") != "ok":
        st.error(result.get("message") or result.get("status"), icon=":material/error:")
        if result.get("source_line"):
            st.code(f"{result['line']:>4} | {result['source_line']}", language="python")
        if result.get("hint"):
            st.info(result["hint"], icon=":material/lightbulb:")
    twin = setup.get("twin") or result.get("twin") or {}
    if twin.get("status") not in (None, "ok", "not asked"):
        st.warning(f"**No TF twin to train.** {twin.get('message', '')}", icon=":material/block:")
    if result.get("stopped"):
        done = ", ".join(f"{charts.NAMES[f]} {s:,}" for f, s in result["steps_done"].items())
        st.info(f"Stopped after {done} of {result['steps']:,} steps; the model keeps what it "
                "learned so far.", icon=":material/pause_circle:")
    elif result.get("halted") == "time":
        st.info("The run reached its time limit; it kept what it learned by then.",
                icon=":material/timer:")
    earlier = [r for r in history.runs() if r["n"] != run["n"]]
    _curves(run, earlier, setup)
    _agreement(run)
    _boundaries(run, setup)
    _speed(run)
    if (result.get("twin") or {}).get("tf_code"):
        with st.expander(f"The tf.function twin that trained (translated from the model's "
                         f"code; traced in {result['twin']['trace_s']:.1f} s)"):
            st.code(result["twin"]["tf_code"], language="python")


def _curves(run: dict, earlier: list[dict], setup: dict) -> None:
    labelled = run["request"]["preset"] != "snippet"
    cols = st.columns(2)
    cols[0].plotly_chart(charts.curves("loss", run, earlier, "Training loss",
                                       "loss", log=labelled), key="training.chart.loss")
    if labelled:
        cols[1].plotly_chart(charts.curves("accuracy", run, [r for r in earlier if r[
            "request"]["preset"] != "snippet"], "Training accuracy (batches since the last "
                                          "point)", "accuracy"), key="training.chart.accuracy")
    else:
        cols[1].info("Your snippet has no labels, so there is no accuracy: the loss is what "
                     "forward returns (summed).", icon=":material/info:")
    st.plotly_chart(charts.grad_norms(run["records"]), key="training.chart.grads")
    evaluation = (run["result"] or {}).get("eval") or {}
    if any(evaluation.values()):
        examples = (setup.get("data") or {}).get("examples", 0)
        st.markdown(" · ".join(f"**{charts.NAMES[f]}**: accuracy on all {examples:,} examples "
                               f"{e['accuracy']:.1%}, loss "
                               + (f"{e['loss']:.4f}" if e["loss"] is not None else "not finite")
                               for f, e in evaluation.items() if e))


def _agreement(run: dict) -> None:
    torch_rows = [r for r in run["records"] if r.get("kind") == "metrics"
                  and r["framework"] == "torch"]
    tf_rows = [r for r in run["records"] if r.get("kind") == "metrics"
               and r["framework"] == "tf"]
    if not (torch_rows and tf_rows):
        return
    found = (run["result"] or {}).get("agreement") or compare.agreement(torch_rows, tf_rows)
    if not found.get("compared"):
        return
    if found["agree"] and found["diverge_step"] is None:
        st.success(found["message"], icon=":material/check_circle:")
    else:
        st.warning(found["message"], icon=":material/call_split:")


def _boundaries(run: dict, setup: dict) -> None:
    data = setup.get("data") or {}
    grids = {}
    for record in run["records"]:
        if record.get("kind") == "boundary":
            grids[record["framework"]] = record
    if not data.get("plane") or not grids:
        return
    cols = st.columns(len(grids))
    for col, (framework, grid) in zip(cols, grids.items()):
        col.plotly_chart(charts.boundary(grid, data, framework),
                         key=f"training.chart.boundary.{framework}")


def _speed(run: dict) -> None:
    rows = [r for r in run["records"] if r.get("kind") == "speed"]
    if not rows:
        return
    cols = st.columns([3, 2])
    cols[0].plotly_chart(charts.speed(rows), key="training.chart.speed")
    with cols[1]:
        st.markdown("**The trade-off, measured** (bare steps, after warm-up)")
        for row in rows:
            if row.get("status") == "ok":
                setup_s = f"; {row['setup_s']:.1f} s to trace or compile first" \
                    if row.get("setup_s") else ""
                st.markdown(f"- **{row['variant']}**: {row['steps_per_s']:,.0f} steps/s"
                            + setup_s)
            else:
                st.markdown(f"- **{row['variant']}**: not available: {row.get('reason')}")
