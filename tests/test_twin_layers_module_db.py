"""The layers family's twins on every sample PyTorch's own module tests use
(``torch.testing._internal.common_modules.module_db``): each class of the family built with
the sample's constructor arguments in both frameworks, torch's parameters and buffers copied
in by name, in train and eval mode; outputs, the gradient of every parameter and input, and
the buffers after forward (running statistics) checked against torch's."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
common_modules = pytest.importorskip("torch.testing._internal.common_modules")
tf = pytest.importorskip("tensorflow")
from explorer.twin import lib as twin_lib  # noqa: E402  (TensorFlow, after the skip)

FAMILY = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Bilinear", "Embedding", "GroupNorm",
          "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LayerNorm",
          "LocalResponseNorm", "RMSNorm")
RTOL, ATOL = 1e-4, 1e-5  # the check's float32 tolerance


def _tf(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return tf.constant(value.detach().numpy())
    if isinstance(value, (list, tuple)):
        return type(value)(_tf(v) for v in value)
    return {k: _tf(v) for k, v in value.items()} if isinstance(value, dict) else value


def _copy(module: torch.nn.Module, twin: Any) -> None:
    """torch's values into the twin by name, as the check copies them by path."""
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        value, current = tensor.detach().numpy(), getattr(twin, name)
        if isinstance(current, tf.Variable) and tuple(current.shape) == value.shape \
                and current.dtype == tf.as_dtype(value.dtype):
            current.assign(value)
        else:
            setattr(twin, name, tf.Variable(value, trainable=tensor.requires_grad))


def _torch_loss(outputs: tuple) -> Any:
    """A loss whose gradient is not degenerate: a normalised output's plain sum has a zero
    gradient for its scale, so each element is weighted by sin(its position)."""
    return sum((o * torch.arange(o.numel()).reshape(o.shape).sin()).sum() for o in outputs)


def _tf_loss(outputs: tuple) -> Any:
    return sum(tf.reduce_sum(o * tf.sin(tf.reshape(tf.range(tf.size(o), dtype=o.dtype),
                                                   tf.shape(o)))) for o in outputs)


def _samples(name: str) -> list:
    info = next(i for i in common_modules.module_db if i.module_cls.__name__ == name)
    return [(info, training, sample) for training in (True, False)
            for sample in info.module_inputs_func(info, device="cpu", dtype=torch.float32,
                                                   requires_grad=True, training=training)]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", FAMILY)
def test_module_db_samples_match_torch(name: str) -> None:
    for info, training, sample in _samples(name):
        what = f"{name} train={training} {sample.constructor_input} {sample.forward_input}"
        args, kwargs = sample.constructor_input.args, sample.constructor_input.kwargs
        torch.manual_seed(0)
        module = info.module_cls(*args, **kwargs).train(training)
        twin = getattr(twin_lib, name)(*_tf(args), **_tf(kwargs)).train(training)
        _copy(module, twin)
        inputs = [a.detach().clone().requires_grad_(a.requires_grad)
                  if isinstance(a, torch.Tensor) else a for a in sample.forward_input.args]
        outputs = module(*inputs, **sample.forward_input.kwargs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        leaves = [*module.parameters(), *(a for a in inputs if isinstance(a, torch.Tensor)
                                          and a.requires_grad)]
        expected = torch.autograd.grad(_torch_loss(outputs), leaves, allow_unused=True)
        tf_inputs = _tf(list(sample.forward_input.args))
        with tf.GradientTape() as tape:
            watched = [t for t, a in zip(tf_inputs, inputs)
                       if isinstance(a, torch.Tensor) and a.requires_grad]
            tape.watch(watched)
            tf_outputs = twin(*tf_inputs, **_tf(sample.forward_input.kwargs))
            tf_outputs = tf_outputs if isinstance(tf_outputs, tuple) else (tf_outputs,)
            loss = _tf_loss(tf_outputs)
        targets = [getattr(twin, n) for n, _ in module.named_parameters()] + watched
        actual = tape.gradient(loss, targets)
        for mine, theirs in zip(tf_outputs, outputs):
            np.testing.assert_allclose(mine.numpy(), theirs.detach().numpy(), RTOL, ATOL,
                                       err_msg=what)
        for mine, theirs in zip(actual, expected):
            if theirs is not None:
                np.testing.assert_allclose(tf.convert_to_tensor(mine).numpy(), theirs.numpy(),
                                           RTOL, ATOL, err_msg=f"gradient: {what}")
        for buffer, tensor in module.named_buffers():
            np.testing.assert_allclose(np.asarray(getattr(twin, buffer)), tensor.numpy(),
                                       RTOL, ATOL, err_msg=f"{buffer}: {what}")
