"""Training: one model trained in eager PyTorch and as its tf.function twin, step for step.

Both frameworks start from the same weights (the twin's variables take the torch model's
initial values), see the same batches in the same order, and update with the same formulas
(``tf_optim`` writes torch's SGD and Adam by hand), so their curves agree until float32
rounding, or dropout's different random masks, pulls them apart.

Pure modules, safe for the app to import: ``presets``, ``config``, ``compare``. The rest
runs in the worker only (``explorer.jobs.train``), and what imports torch or TensorFlow does
so lazily: ``data`` (the data sets, numpy), ``metrics`` (numpy), ``torch_loop`` and
``tf_loop`` (one trainer per framework), ``tf_optim`` (torch's update rules in TF), ``loop``
(the instrumented loop that streams records), ``speed`` (steps per second, eager against
graph).
"""
