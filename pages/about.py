"""About this server: what protects user code here (sandbox layers, checked from inside a
worker), the mode, the limits of a run, and the worker pool's state."""
from __future__ import annotations

import streamlit as st

from explorer import sandbox
from explorer.sandbox import doctor, scale

st.title("About this server")
with st.spinner("Checking the sandbox from inside a worker..."):
    report = sandbox.about()

if report["mode"] == "strict":
    st.success("Strict mode: a hosted server. If a sandbox layer is missing, user code is "
               "refused rather than run unprotected.")
else:
    st.warning("Relaxed mode: meant for a local, single-user run. Layers that do not work "
               "on this host are skipped, not required. A hosted server sets "
               "`EXPLORER_SANDBOX=strict`.")
if not report["runs_user_code"]:
    st.error("User code is refused here: missing " + ", ".join(report["missing"]))

st.subheader("Sandbox layers")
st.caption("Each run is a fresh process, used once, confined by the kernel. Profile: **"
           + report["profile"] + "**: " + doctor.PROFILES[report["profile"]] + ".")
# tables, not dataframes: they wrap the long descriptions instead of cutting them off
st.table([{"layer": name, "works": "yes" if layer["works"] else "MISSING",
           "required": "yes" if name in report["required"] else "no",
           "what it stops": layer["detail"]} for name, layer in report["layers"].items()],
         hide_index=True)

st.subheader("Checks from inside a worker")
st.table([{"check": name, "passed": "yes" if item["ok"] else "FAILED",
           "what happened": item["detail"]} for name, item in report["checks"].items()],
         hide_index=True)

st.subheader("Limits of one run")
st.caption(f"Memory profile: **{report['memory_profile']}**"
           + (" (one spare worker, less memory per run: a small host)"
              if report["memory_profile"] == "small" else " (`EXPLORER_MEMORY=small` for a "
              "host of 1 to 3 GB)"))
st.dataframe([{"job": job, **values} for job, values in report["limits"].items()],
             hide_index=True)

st.subheader("Workers")
state = report["scheduler"]
pool = state["pool"]
st.write(f"{state['workers']} workers at most ({report['host']['cores']} cores), "
         f"{state['running']} running, {state['queued']} waiting, {state['served']} served. "
         f"Pool: **{report['pool']}**"
         + (f"; template pid {pool['pid']}, {pool['memory']['vmrss_mb']} MB resident, "
            f"started in {pool['start_s']} s" if pool.get("started") else "")
         + ("; spare workers (forked, confined and warmed up ahead of a run): "
            + doctor.spares_summary(pool.get("spares", {})) if pool.get("started") else ""))
st.caption(f"Linux {report['host']['kernel']}, Landlock ABI {report['host']['landlock_abi']}, "
           f"libseccomp {'found' if report['host']['libseccomp'] else 'missing'}.")

st.subheader("Scale")  # issue 13: embedded, or worker hosts through Redis (and if it answers)
level, sentence = scale.describe(state)
getattr(st, level)(sentence)
