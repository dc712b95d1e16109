"""The training page: a preset (or the Explorer page's code) trained in eager PyTorch and as
its tf.function twin from the same weights on the same batches, live curves side by side."""
from __future__ import annotations

import streamlit as st

from pages.ui import training_controls, training_history, training_live

st.markdown("### Training \u00b7 eager PyTorch next to its tf.function twin")
request = training_controls.show()
if request is not None:
    training_live.start(request)
training_live.show()
training_history.show()
