"""TensorFlow twins of torch.nn's batch and instance norms (1d/2d/3d, and their lazy forms):
torch's parameter and buffer names and layouts (``running_mean``, ``running_var``,
``num_batches_tracked``), so the torch run's values copy over by path, and the buffers, as
tf.Variables, move in train mode exactly as torch moves them. Re-exported by ``lib_layers``.
"""
from __future__ import annotations

from typing import Any

import tensorflow as tf

from explorer.twin.lib import Module, do_not_convert
from explorer.twin.lib_layers_norm import _ones, _zeros, batch_norm, instance_norm

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _Norm(Module):
    """Batch and instance norm's state: ``weight``/``bias`` (C,), the ``running_mean``/
    ``running_var`` buffers and ``num_batches_tracked`` (int64), as torch names them."""

    dims: tuple[int, ...] = ()   # input ranks torch accepts (batched)
    kind = "batch"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = _ones(num_features) if affine else None
        self.bias = _zeros(num_features) if affine and bias else None
        self.running_mean = tf.Variable(tf.zeros((num_features,)), trainable=False) \
            if track_running_stats else None
        self.running_var = tf.Variable(tf.ones((num_features,)), trainable=False) \
            if track_running_stats else None
        self.num_batches_tracked = tf.Variable(tf.constant(0, tf.int64), trainable=False) \
            if track_running_stats else None

    def _check_rank(self, x: tf.Tensor) -> None:
        if x.shape.rank not in self.dims:
            names = " or ".join(f"{d}D" for d in self.dims)
            raise ValueError(f"expected {names} input (got {x.shape.rank}D input)")

    def _factor(self) -> Any:
        """torch's exponential average factor for this train-mode call: counts the batch
        first, then momentum, or 1/num_batches_tracked (a cumulative average) when None."""
        if not (self.training and self.track_running_stats):
            return 0.0  # no update: eval mode, or no running statistics
        tracked = self.num_batches_tracked.assign_add(1)
        if self.momentum is not None:
            return self.momentum
        return 1.0 / tf.cast(tracked, self.running_mean.dtype)


class _BatchNorm(_Norm):
    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        self._check_rank(x)
        factor = self._factor()
        use_batch = self.training or self.running_mean is None
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    dims = (4,)


class BatchNorm3d(_BatchNorm):
    dims = (5,)


class _InstanceNorm(_Norm):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias)

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        unbatched = x.shape.rank == self.dims[0] - 1  # (C, L...) without a batch dimension
        if unbatched:
            x = x[None]
        self._check_rank(x)
        # torch's instance norm counts no batches: momentum None means no update at all
        factor = self.momentum if self.momentum is not None else 0.0
        use_input = self.training or not self.track_running_stats
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_input, factor, self.eps)
        return y[0] if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    dims = (3,)


class InstanceNorm2d(_InstanceNorm):
    dims = (4,)


class InstanceNorm3d(_InstanceNorm):
    dims = (5,)


class _LazyNorm:
    """``nn.LazyBatchNorm*``/``nn.LazyInstanceNorm*``: the signature without
    ``num_features``, which the first input's channels give. The parameters stay None until
    the torch run's values are set at their paths or that first call makes them; the
    statistics are made (zeros, ones, a count of 0) by that call, since torch resets them when
    it gives them their shape, before the call's own update."""

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        # torch's lazy instance norms default to affine and tracked too, unlike the eager ones
        Module.__init__(self)
        self.num_features, self.eps, self.momentum = 0, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.has_bias, self.materialised = bias, False
        self.weight = self.bias = self.running_mean = self.running_var = None
        self.num_batches_tracked = tf.Variable(tf.constant(0, tf.int64), trainable=False) \
            if track_running_stats else None

    def _materialise(self, x: tf.Tensor) -> None:
        channels = self.num_features = x.shape[1]
        if self.affine and self.weight is None:
            self.weight = _ones(channels)
        if self.affine and self.has_bias and self.bias is None:
            self.bias = _zeros(channels)
        if self.track_running_stats:
            self.running_mean = tf.Variable(tf.zeros((channels,)), trainable=False)
            self.running_var = tf.Variable(tf.ones((channels,)), trainable=False)
            self.num_batches_tracked.assign(0)
        self.materialised = True

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        if not self.materialised:
            self._materialise(x)
        return super().forward(x)  # the eager (non-lazy) class that follows in the MRO


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    pass


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    pass


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    pass


class LazyInstanceNorm1d(_LazyNorm, InstanceNorm1d):
    pass


class LazyInstanceNorm2d(_LazyNorm, InstanceNorm2d):
    pass


class LazyInstanceNorm3d(_LazyNorm, InstanceNorm3d):
    pass
