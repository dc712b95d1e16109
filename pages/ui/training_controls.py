"""The training page's controls: a preset (or the Explorer page's code) and the
hyperparameters, turned into a ``train`` job request. Picking a preset loads its defaults."""
from __future__ import annotations

import streamlit as st

from explorer.training import presets
from explorer.training.config import TrainConfig
from pages.ui import devices
from pages.ui.training_charts import NAMES

EXPLORER_CODE = "explorer.code"  # where the Explorer page keeps the user's code
PRESET, FRAMEWORKS, OPTIMIZER, LR = ("training.preset", "training.frameworks",
                                     "training.optimizer", "training.lr")
MOMENTUM, BATCH, STEPS, CLIP = ("training.momentum", "training.batch_size", "training.steps",
                                "training.clip")
MODE, DEVICE, SEED, SPEED = "training.mode", "training.device", "training.seed", "training.speed"
LR_CHOICES = [0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
BATCH_CHOICES = [1, 8, 16, 32, 64, 128, 256, 512]
OPTIMIZER_NAMES = {"sgd": "SGD + momentum", "adam": "Adam"}
RECORDS_PER_RUN = 12  # metrics records per framework a run streams, about


def label(name: str) -> str:
    if name == presets.SNIPPET:
        return "Your snippet from the Explorer page"
    return presets.get(name).title


def load_defaults() -> None:
    """The chosen preset's hyperparameters into the widgets."""
    values = presets.defaults(st.session_state[PRESET])
    st.session_state[OPTIMIZER] = values["optimizer"]
    st.session_state[LR] = values["lr"]
    st.session_state[BATCH] = values["batch_size"]
    st.session_state[STEPS] = values["steps"]


def log_every(steps: int) -> int:
    """Steps per record: about RECORDS_PER_RUN records, so the chart is smooth and the
    metrics cost the loop little."""
    return max(1, round(steps / RECORDS_PER_RUN))


def _first_visit() -> None:
    if PRESET not in st.session_state:
        st.session_state[PRESET] = "spirals"
        load_defaults()
        st.session_state[FRAMEWORKS] = ["torch", "tf"]


def show() -> dict | None:
    """Draw the controls; the request when Train was pressed (and the settings are valid)."""
    _first_visit()
    env = devices.environment()
    gpu = devices.gpu(env)
    code = st.session_state.get(EXPLORER_CODE)
    top = st.columns([3, 2, 1], vertical_alignment="bottom")
    top[0].selectbox("Preset", [*presets.names(), presets.SNIPPET], key=PRESET,
                     format_func=label, on_change=load_defaults)
    top[1].segmented_control("Frameworks", ["torch", "tf"], key=FRAMEWORKS,
                             selection_mode="multi", format_func=NAMES.get,
                             help="Both: trained from the same initial weights on the same "
                                  "batches, interleaved, so the curves grow together.")
    snippet = st.session_state[PRESET] == presets.SNIPPET
    frameworks = st.session_state.get(FRAMEWORKS) or []
    clicked = top[2].button("Train", type="primary", icon=":material/play_arrow:",
                            width="stretch", disabled=not frameworks or (snippet and not code))
    row = st.columns(5)
    optimizer = row[0].radio("Optimizer", list(OPTIMIZER_NAMES), key=OPTIMIZER,
                             format_func=OPTIMIZER_NAMES.get, horizontal=True)
    lr = row[1].select_slider("Learning rate", LR_CHOICES, key=LR)
    batch = row[2].select_slider("Batch size", BATCH_CHOICES, key=BATCH, disabled=snippet,
                                 help="The snippet trains on its inputs() as one batch."
                                 if snippet else None)
    steps = row[3].number_input("Steps", min_value=10, max_value=5000, step=50, key=STEPS)
    momentum = row[4].number_input("SGD momentum", 0.0, 0.99, 0.9, 0.05, key=MOMENTUM,
                                   disabled=optimizer != "sgd")
    row = st.columns(5)
    clip = row[0].number_input("Clip gradient norm", 0.0, 100.0, 0.0, 0.5, key=CLIP,
                               help="clip_grad_norm_ to this global norm; 0 leaves the "
                                    "gradients as they are.")
    mode = row[1].radio("Mode while training", ["train", "eval"], key=MODE, horizontal=True,
                        help="model.train() or model.eval(): train keeps dropout on (the "
                             "digits model has dropout); accuracy is always measured in eval "
                             "mode at the end.")
    device = row[2].radio("Device", ["cpu", "cuda"], key=DEVICE, horizontal=True,
                          disabled=not gpu, format_func={"cpu": "CPU", "cuda": "GPU"}.get,
                          help="PyTorch's device; the TF twin runs on the CPU." if gpu else
                          f"No GPU: {env.get('reason') or env.get('message')}")
    seed = row[3].number_input("Seed", 0, 2**31 - 1, 0, 1, key=SEED,
                               help="The initial weights and the order of the batches; the "
                                    "data set stays the same.")
    speed = row[4].toggle("Measure speed afterwards", value=True, key=SPEED,
                          help="Steps per second of torch eager, torch.compile, TF eager and "
                               "tf.function, after training.")
    _card(snippet, code)
    if not clicked:
        return None
    request = {"preset": st.session_state[PRESET], "frameworks": list(frameworks),
               "optimizer": optimizer, "lr": lr, "momentum": momentum,
               "batch_size": batch, "steps": int(steps), "clip": clip or None, "mode": mode,
               "device": device if gpu else "cpu", "seed": int(seed),
               "log_every": log_every(int(steps)), "speed": speed, "boundary": True,
               "compiler": speed}  # torch.compile's row: a worker with the compiler helper
    if snippet:
        request["code"] = code
    try:
        TrainConfig.from_request(request)
    except ValueError as err:
        st.error(str(err), icon=":material/error:")
        return None
    return request


def _card(snippet: bool, code: str | None) -> None:
    if snippet:
        if code:
            st.info(presets.SNIPPET_TEXT, icon=":material/code:")
            with st.expander("The code that will train"):
                st.code(code, language="python")
        else:
            st.warning("Write or pick some code on the Explorer page first; this preset "
                       "trains it.", icon=":material/edit:")
        return
    preset = presets.get(st.session_state[PRESET])
    st.info(f"**{preset.title}.** {preset.text}", icon=":material/school:")
    with st.expander("The model, as a snippet (forward returns the logits; the loop adds "
                     "cross entropy, zero_grad, backward, step)"):
        st.code(preset.code, language="python")
