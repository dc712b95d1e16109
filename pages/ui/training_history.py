"""The session's finished training runs: kept for the charts to overlay, listed in a table,
and downloadable as one CSV of every metrics record."""
from __future__ import annotations

import csv
import io

import streamlit as st

from pages.ui.training_charts import NAMES

RUNS = "training.runs"
KEEP = 8  # earlier runs kept per session (their records are small: about 100 rows each)
COLUMNS = ["run", "preset", "optimizer", "lr", "batch_size", "seed", "framework", "step",
           "loss", "accuracy", "grad_norm", "elapsed_s"]


def runs() -> list[dict]:
    return st.session_state.get(RUNS, [])


def add(run: dict) -> None:
    kept = [r for r in runs() if r["n"] != run["n"]]
    kept.append({k: v for k, v in run.items() if k != "stop"})  # no ticket in the history
    st.session_state[RUNS] = kept[-KEEP:]


def to_csv(items: list[dict]) -> str:
    """One row per metrics record of every run, with each layer's gradient norm as a column
    of its own (``grad_norm[model.0]``)."""
    layers: list[str] = []
    for run in items:
        for record in run["records"]:
            if record.get("kind") == "metrics":
                layers += [name for name in record["layers"] if name not in layers]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS + [f"grad_norm[{name}]" for name in layers])
    for run in items:
        request = run["request"]
        for record in run["records"]:
            if record.get("kind") != "metrics":
                continue
            writer.writerow([run["n"], request["preset"], request["optimizer"], request["lr"],
                             request["batch_size"], request["seed"], record["framework"],
                             record["step"], record["loss"], record["accuracy"],
                             record["grad_norm"], record["elapsed_s"]]
                            + [record["layers"].get(name) for name in layers])
    return out.getvalue()


def summary_rows(items: list[dict]) -> list[dict]:
    rows = []
    for run in reversed(items):
        request, result = run["request"], run["result"] or {}
        for framework, done in (result.get("steps_done") or {}).items():
            final = (result.get("final") or {}).get(framework) or {}
            evaluation = (result.get("eval") or {}).get(framework) or {}
            rows.append({"run": run["n"], "preset": request["preset"],
                         "framework": NAMES[framework], "optimizer": request["optimizer"],
                         "lr": request["lr"], "batch": request["batch_size"],
                         "steps": f"{done} of {request['steps']}", "final loss":
                         final.get("loss"), "accuracy (all data)": evaluation.get("accuracy")})
        if result.get("status") != "ok":
            rows.append({"run": run["n"], "preset": request["preset"],
                         "framework": result.get("status")})
    return rows


def show() -> None:
    items = runs()
    if not items:
        return
    st.subheader("This session's runs")
    st.caption("Earlier runs stay on the loss and accuracy charts, faint, for comparison.")
    st.dataframe(summary_rows(items), hide_index=True)
    cols = st.columns([1, 1, 4])
    cols[0].download_button("Download metrics (CSV)", to_csv(items), "training_metrics.csv",
                            "text/csv", icon=":material/download:")
    if cols[1].button("Clear the runs", icon=":material/delete:"):
        st.session_state[RUNS] = []
        st.rerun()
