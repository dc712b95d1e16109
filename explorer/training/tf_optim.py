"""torch.optim's SGD and Adam and torch's clip_grad_norm_, written in TensorFlow with torch's
formulas, operation for operation, so the twin's weights follow the torch model's.

Keras' optimizers are not the same functions: ``tf.keras.optimizers.SGD`` keeps a velocity
``v = m*v - lr*g`` (torch keeps ``b = m*b + g`` and subtracts ``lr*b``: equal only while lr
is constant, and rounded differently), Keras' Adam adds epsilon to ``sqrt(v)`` before the
bias correction of the step size (torch divides ``sqrt(v)`` by ``sqrt(1 - beta2^t)`` first,
then adds epsilon), and ``tf.clip_by_global_norm`` scales by ``clip / max(norm, clip)``
where torch uses ``min(clip / (norm + 1e-6), 1)``. Imported lazily (TensorFlow)."""
from __future__ import annotations

import tensorflow as tf

from explorer.training.config import ADAM_BETAS, ADAM_EPS, CLIP_EPS, TrainConfig


class SGD:
    """torch.optim.SGD (dampening 0, no Nesterov, no weight decay):
    ``b = momentum*b + g`` (``b = g`` on the first step), ``p = p - lr*b``."""

    def __init__(self, variables: list[tf.Variable], lr: float, momentum: float) -> None:
        self.lr, self.momentum = lr, momentum
        self.buffers = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables] \
            if momentum else []

    def apply(self, grads: list[tf.Tensor], variables: list[tf.Variable]) -> None:
        for i, (grad, variable) in enumerate(zip(grads, variables)):
            if self.momentum:  # a zero buffer makes the first step b = g, as torch's clone
                grad = self.buffers[i].assign(self.buffers[i] * self.momentum + grad)
            variable.assign_add(grad * -self.lr)  # torch: p.add_(b, alpha=-lr)

    def slots(self) -> list[tf.Variable]:
        return list(self.buffers)


class Adam:
    """torch.optim.Adam (not AMSGrad, no weight decay), as its single-tensor loop computes:
    ``m = m + (1-b1)*(g - m)`` (lerp), ``v = v*b2 + (1-b2)*g*g``, step size
    ``lr / (1 - b1^t)`` and ``sqrt(1 - b2^t)`` in float64 then float32,
    ``p = p + (-step_size*m) / (sqrt(v)/sqrt(1 - b2^t) + eps)`` (addcdiv)."""

    def __init__(self, variables: list[tf.Variable], lr: float,
                 betas: tuple[float, float] = ADAM_BETAS, eps: float = ADAM_EPS) -> None:
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.t = tf.Variable(0, dtype=tf.int64, trainable=False)

    def apply(self, grads: list[tf.Tensor], variables: list[tf.Variable]) -> None:
        t = tf.cast(self.t.assign_add(1), tf.float64)
        step_size = tf.cast(self.lr / (1.0 - self.beta1 ** t), tf.float32)
        correction2_sqrt = tf.cast(tf.sqrt(1.0 - self.beta2 ** t), tf.float32)
        for grad, variable, m, v in zip(grads, variables, self.m, self.v):
            m.assign(m + (1 - self.beta1) * (grad - m))
            v.assign(v * self.beta2 + (1 - self.beta2) * grad * grad)
            denom = tf.sqrt(v) / correction2_sqrt + self.eps
            variable.assign_add(-step_size * m / denom)

    def slots(self) -> list[tf.Variable]:
        return [*self.m, *self.v, self.t]


def make(config: TrainConfig, variables: list[tf.Variable]) -> SGD | Adam:
    if config.optimizer == "sgd":
        return SGD(variables, config.lr, config.momentum)
    return Adam(variables, config.lr)


def norms(grads: list[tf.Tensor]) -> tf.Tensor:
    """The 2-norm of each gradient, stacked (what clip_grad_norm_ computes first)."""
    return tf.stack([tf.norm(g) for g in grads])


def clip(grads: list[tf.Tensor], each: tf.Tensor, max_norm: float) -> list[tf.Tensor]:
    """torch.nn.utils.clip_grad_norm_: every gradient times
    ``min(max_norm / (total_norm + 1e-6), 1)``, ``total_norm`` the 2-norm of the norms."""
    coefficient = tf.minimum(max_norm / (tf.norm(each) + CLIP_EPS), 1.0)
    return [g * coefficient for g in grads]
