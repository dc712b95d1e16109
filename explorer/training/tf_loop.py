"""The TensorFlow side: the snippet's twin (explorer.twin) trained by a ``tf.function`` step,
from the torch model's initial weights, on the torch side's batches, with torch's update
formulas (``tf_optim``). The same step run without ``tf.function`` is TF eager, for speed.

Imported lazily: it imports TensorFlow."""
from __future__ import annotations

import contextlib
import io
import time
from typing import Any

import numpy as np
import tensorflow as tf

from explorer.training import tf_optim
from explorer.training.config import TrainConfig
from explorer.training.data import Batches, DataSet
from explorer.training.torch_loop import TorchTrainer, chunks
from explorer.twin import lib as twin_lib
from explorer.twin import paths as twin_paths
from explorer.twin import rewrite as twin_rewrite
from explorer.twin import run as twin_run
from explorer.twin.limits import NoTwin, classify

CPU = "/CPU:0"


class Unavailable(Exception):
    """There is no TF twin to train: the twin's own lesson (``status`` no-twin) or why not."""

    def __init__(self, info: dict) -> None:
        super().__init__(info.get("message", ""))
        self.info = info


def _no_twin(err: twin_run.TwinError, code: str) -> Unavailable:
    """TensorFlow refused the generated twin: the lesson of what has no twin, on the user's
    line (the twin keeps the snippet's line numbers)."""
    reason, construct = classify(err.message)
    lines = code.splitlines()
    source = lines[err.line - 1] if err.line and err.line <= len(lines) else None
    detail = err.message.splitlines()[0][:300] if err.message else None
    return Unavailable(NoTwin(construct, reason, err.line, source, detail).to_json())


class TfTrainer:
    """The twin, its variables (in the torch side's parameter order) and a traced step."""

    framework = "tf"

    def __init__(self, config: TrainConfig, torch_side: TorchTrainer,
                 dataset: DataSet | None) -> None:
        self.config, self.dataset = config, dataset
        code = config.model_code
        try:
            translation = twin_rewrite.translate(code)
        except NoTwin as no_twin:
            raise Unavailable(no_twin.to_json()) from None
        self.code = translation.code
        printed = io.StringIO()  # tracing runs both arms' Python code: keep their prints
        try:
            with contextlib.redirect_stdout(printed):
                # the twin's structure and constants, from a torch run of the same snippet
                reference = twin_run.run_torch(code, seed=config.seed, device="cpu")
                side = twin_run.load_tf(self.code, reference, config.seed)
                self.variables = [self._variable(side.namespace, path, torch_side.initial[path])
                                  for path in torch_side.paths]
                self._setup(side, reference, torch_side)
        except twin_run.TwinError as err:
            raise _no_twin(err, code) from None

    def _variable(self, namespace: dict, path: str, value: np.ndarray) -> tf.Variable:
        """The twin's variable at ``path``, set to the torch model's initial value."""
        try:
            variable = twin_paths.get(namespace, path)
        except twin_paths.PathError:
            variable = None
        if not isinstance(variable, tf.Variable) or tuple(variable.shape) != value.shape:
            raise Unavailable({"status": "error", "message": f"The TF twin has no variable "
                               f"{path} of shape {list(value.shape)} to train."})
        variable.assign(value.astype(variable.dtype.as_numpy_dtype))
        return variable

    def _setup(self, side: twin_run.TfRun, reference: twin_run.TorchRun,
               torch_side: TorchTrainer) -> None:
        self.namespace, self.forward = side.namespace, side.namespace["forward"]
        self.paths, self.groups = torch_side.paths, torch_side.groups
        self.args, self.differentiable = side.inputs, reference.differentiable
        self.optimizer = tf_optim.make(self.config, self.variables)
        self.training = self.config.mode == "train"
        self.modules = [m for value in self.namespace.values()  # tf.Module finds submodules
                        if isinstance(value, twin_lib.Module)  # slowly: look them up once
                        for m in (value, *value.submodules) if isinstance(m, twin_lib.Module)]
        if self.dataset is not None:
            self.batches = Batches(len(self.dataset), self.config.batch_size, self.config.seed)
            self.predict_batch = torch_side.predict_batch
            with tf.device(CPU):
                self.inputs = tuple(tf.constant(a) for a in self.dataset.inputs)
                self.labels = tf.constant(self.dataset.labels)
        self.eager_step = self._step
        self.graph_step = tf.function(self._step)
        self.graph_predict = tf.function(self._predict)
        clock = time.perf_counter()
        self.set_mode(self.training)
        spec = tf.TensorSpec([self._batch_size()], tf.int64)
        try:
            with tf.device(CPU):
                for log in (False, True):  # trace now: a refusal is known before training
                    self.graph_step.get_concrete_function(spec, log)
            self._warm_up()
        except Exception as exc:  # noqa: BLE001 - TensorFlow's refusal, whatever its type
            raise twin_run.twin_error(exc) from None
        self.trace_s = time.perf_counter() - clock

    def _warm_up(self) -> None:
        """Call each traced function once, then put every variable back: TensorFlow
        optimises a graph on its first call (tens of milliseconds), a cost of setting up,
        like tracing, not of the steps the loop times."""
        state = [*self.variables, *self.optimizer.slots()]
        saved = [v.numpy() for v in state]
        for log in (False, True):
            self.graph_step(tf.constant(self._indices(0)), log)
        for variable, value in zip(state, saved):
            variable.assign(value)
        if self.dataset is not None:
            self.set_mode(False)
            self.graph_predict(*(tf.constant(np.repeat(a[:1], self.predict_batch, axis=0))
                                 for a in self.dataset.inputs))
            self.set_mode(self.training)

    def _batch_size(self) -> int:
        return self.batches.batch_size if self.dataset is not None else 1

    def set_mode(self, training: bool) -> None:
        """Every twin module's ``training`` flag; a traced function keeps the mode it was
        traced in, as torch's ``if self.training`` is read when forward runs."""
        for module in self.modules:
            module.training = training

    def _step(self, indices: tf.Tensor, log: bool) -> tuple:
        """One step, run eagerly or traced: the gradient tape, clipping, torch's update;
        the loss, how many examples the batch got right, and with ``log`` the gradient norm
        of each variable before clipping."""
        with tf.GradientTape() as tape:
            if self.dataset is None:
                outputs = twin_run.outputs_of(self.forward(*self.args))
                loss = tf.add_n([tf.reduce_sum(o) for o, d in zip(outputs, self.differentiable)
                                 if d and o.dtype.is_floating])
                right = tf.zeros((), tf.int64)
            else:
                labels = tf.gather(self.labels, indices)
                logits = self.forward(*(tf.gather(a, indices) for a in self.inputs))
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=labels, logits=logits))
                right = tf.reduce_sum(tf.cast(tf.argmax(logits, -1) == labels, tf.int64))
        grads = [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                 for g, v in zip(tape.gradient(loss, self.variables), self.variables)]
        each = tf_optim.norms(grads) if log or self.config.clip is not None else None
        if self.config.clip is not None:
            grads = tf_optim.clip(grads, each, self.config.clip)
        self.optimizer.apply(grads, self.variables)
        return (loss, right, each) if log else (loss, right)

    def _indices(self, step: int) -> np.ndarray:
        return self.batches(step) if self.dataset is not None else np.zeros(1, np.int64)

    def step(self, step: int, log: bool = False, count: bool = False,
             eager: bool = False) -> tuple[Any, Any, Any]:
        """As the torch side's; the count is computed in the graph either way (an op or
        two), ``count`` only says whether to hand it over."""
        function = self.eager_step if eager else self.graph_step
        with tf.device(CPU):
            out = function(tf.constant(self._indices(step)), log)
        return out[0], out[1] if count and self.dataset is not None else None, \
            out[2] if log else None

    def numbers(self, tensors: list[tf.Tensor]) -> list[float]:
        """Scalar step outputs as Python numbers (reading each is cheaper than an eager
        tf.stack)."""
        return [float(t.numpy()) for t in tensors]

    def vector(self, tensor: tf.Tensor) -> list[float]:
        return tensor.numpy().tolist()

    def right(self, tallies: list[tf.Tensor]) -> int:
        return int(sum(t.numpy() for t in tallies))

    def _predict(self, *inputs: tf.Tensor) -> tf.Tensor:
        return twin_run.outputs_of(self.forward(*inputs))[0]

    def predict(self, arrays: tuple[np.ndarray, ...]) -> np.ndarray:
        """The twin's logits for every row, in eval mode, a training-sized batch at a time."""
        self.set_mode(False)
        try:
            with tf.device(CPU):
                out = [self.graph_predict(*(tf.constant(p) for p in part)).numpy()[:real]
                       for part, real in chunks(arrays, self.predict_batch)]
        finally:
            self.set_mode(self.training)
        return np.concatenate(out)

    def weights(self) -> dict[str, np.ndarray]:
        return {path: v.numpy().copy() for path, v in zip(self.paths, self.variables)}

    def sync(self) -> None:
        """TF eager ops return when their values are ready on the CPU: nothing to wait for."""
