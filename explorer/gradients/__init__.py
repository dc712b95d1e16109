"""Live gradient inspection: every leaf, every autograd node, step by step (issue 6).

The package is split so that the page can use the torch-free parts:

- ``flags``    thresholds for vanishing / exploding gradients (no torch; the page reads it)
- ``stats``    gradient summaries as JSON (min, max, mean, norm; values when small)
- ``saved``    bytes autograd keeps for backward, per node, through saved-tensor hooks
- ``flow``     node hooks: the gradient out of every node and the engine's execution order
- ``edits``    live edits of inputs and parameters between load and forward
- ``fdcheck``  finite-difference gradient check in float64
- ``engine``   one call that runs all of the above on a loaded snippet

Everything but ``flags`` imports torch and runs user code, so only the worker imports it.
This file imports nothing on purpose: ``import explorer.gradients.flags`` must stay cheap.
"""
