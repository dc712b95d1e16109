"""TensorFlow versions of the torch pieces a twin uses: the runtime of generated twin code.

Generated code imports this module as ``tt`` (helpers with no one-line TF spelling) and, where
the snippet imported ``torch.nn``, under the snippet's own alias, so ``nn.Linear(10, 10)`` reads
the same in both programs. Parameters keep torch's names and layouts (``Linear.weight`` is
``(out, in)``), so the torch run's values copy over by path. Only twin code imports this.
"""
from __future__ import annotations

import contextlib
import math
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import tensorflow as tf

from explorer.capture import tf_origin
from explorer.twin import lib_ops

do_not_convert = tf.autograph.experimental.do_not_convert

MaxResult = namedtuple("MaxResult", "values indices")  # what torch.max(x, dim) returns
_CHECK = {"identity_dropout": False}


@contextlib.contextmanager
def identity_dropout() -> Iterator[None]:
    """Traces made inside keep every unit in dropout: the equivalence check's setting, since
    torch and TensorFlow draw their masks from different random generators."""
    previous = _CHECK["identity_dropout"]
    _CHECK["identity_dropout"] = True
    try:
        yield
    finally:
        _CHECK["identity_dropout"] = previous


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """``torch.no_grad()`` at module level, where it only guards initialisation: a no-op,
    since the twin takes its values from the torch run."""
    yield


def Parameter(data: Any, requires_grad: bool = True) -> tf.Variable:  # noqa: N802 (torch's name)
    return tf.Variable(data, trainable=requires_grad)


# -- functions without a one-line TF spelling ----------------------------------------------

@do_not_convert
def dropout(x: tf.Tensor, p: float = 0.5, training: bool = True) -> tf.Tensor:
    if not training or p == 0 or _CHECK["identity_dropout"]:
        return x
    return tf.nn.dropout(x, rate=p)


@do_not_convert
def swapaxes(x: tf.Tensor, dim0: int, dim1: int) -> tf.Tensor:
    """``x.transpose(dim0, dim1)``: one Transpose op, the permutation known at trace time."""
    perm = list(range(x.shape.rank))
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return tf.transpose(x, perm)


@do_not_convert
def max_dim(x: tf.Tensor, dim: int, keepdim: bool = False) -> MaxResult:
    return MaxResult(tf.reduce_max(x, axis=dim, keepdims=keepdim), _arg(tf.argmax, x, dim, keepdim))


@do_not_convert
def min_dim(x: tf.Tensor, dim: int, keepdim: bool = False) -> MaxResult:
    return MaxResult(tf.reduce_min(x, axis=dim, keepdims=keepdim), _arg(tf.argmin, x, dim, keepdim))


def _arg(fn: Any, x: tf.Tensor, dim: int, keepdim: bool) -> tf.Tensor:
    index = fn(x, axis=dim)
    return tf.expand_dims(index, dim) if keepdim else index


class _At:
    """``tt.at[:, 0]`` is ``(slice(None), 0)``: an index, written as the snippet wrote it."""

    def __getitem__(self, key: Any) -> Any:
        return key


at = _At()


@do_not_convert
def setitem(target: Any, key: Any, value: Any) -> Any:
    """``target[key] = value`` as a new tensor, since TF tensors are immutable values: the
    positions ``key`` selects (found by indexing a tensor of positions the same way) are
    overwritten with tf.tensor_scatter_nd_update, a mask uses tf.where. Python lists and
    dicts are written in place, as before."""
    if not isinstance(target, tf.Tensor):
        target[key] = value
        return target
    value = tf.cast(value, target.dtype)
    if isinstance(key, tf.Tensor) and key.dtype == tf.bool:
        return tf.where(key, value, target)
    positions = lib_ops.index(tf.reshape(tf.range(tf.size(target)), tf.shape(target)), key)
    updates = tf.broadcast_to(value, tf.shape(positions))
    flat = tf.tensor_scatter_nd_update(tf.reshape(target, [-1]), tf.reshape(positions, [-1, 1]),
                                       tf.reshape(updates, [-1]))
    return tf.reshape(flat, tf.shape(target))


@do_not_convert
def linear(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | None = None) -> tf.Tensor:
    """``x @ weight.T + bias`` for inputs of any rank, as ``torch.nn.functional.linear``."""
    rank = x.shape.rank
    if rank == 2:
        y = tf.matmul(x, weight, transpose_b=True)
    elif rank == 1:
        y = tf.linalg.matvec(weight, x)
    else:
        y = tf.tensordot(x, weight, axes=[[rank - 1], [1]])
    return y if bias is None else y + bias


_LIBRARY = "explorer.twin"  # this library's modules (lib, lib_layers, ...)


def _run_as_written() -> None:
    """AutoGraph converts every function traced code calls, unless one of its rules names the
    function's module (TensorFlow's own and Keras are named so); this library is named the
    same way. Converting it (a module call, its origin claim, its forward: about 19
    converted calls a step) traced bench/big_graph.py's 1,000-step RNN in 4.3 s, against
    3.5 s without; the library has no control flow on tensor values. The rule table is
    AutoGraph's internal one: without it, the library is converted as before."""
    with contextlib.suppress(ImportError, AttributeError):
        from tensorflow.python.autograph.core import config, config_lib

        if not any(str(rule).endswith(f" {_LIBRARY}") for rule in config.CONVERSION_RULES):
            config.CONVERSION_RULES = (config_lib.DoNotConvert(_LIBRARY),
                                       *config.CONVERSION_RULES)


_run_as_written()


def _converted(forward: Any) -> Any:
    """A module's ``forward`` as AutoGraph should run it: the user's own converted (its
    data-dependent ``if`` and loops become ``If``/``While``), as Keras converts a layer's
    ``call``; this library's as written."""
    if getattr(forward, "__module__", "").startswith(_LIBRARY + "."):
        return forward
    return tf.__internal__.autograph.tf_convert(forward,
                                                tf.__internal__.autograph.control_status_ctx())


# -- torch.nn modules ----------------------------------------------------------------------

class Module(tf.Module):
    """``torch.nn.Module`` on ``tf.Module``: ``forward``, ``training``, ``train()``/``eval()``."""

    def __init__(self) -> None:
        super().__init__()
        self.training = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # the ops it makes while traced learn the torch path of this module (attrs.module)
        return self.as_own(lambda: _converted(self.forward)(*args, **kwargs))

    def as_own(self, call: Callable[[], Any]) -> Any:
        """``call()``, its ops counted as this module's (``attrs.module``): a library block
        that computes with a child's weights without calling the child says so this way."""
        return tf_origin.claim(self.__dict__.get("_explorer_path"), call)

    def train(self, mode: bool = True) -> Module:
        for module in (self, *self.submodules):
            if isinstance(module, Module):
                module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freezing a module: the check takes requires_grad from the torch run, path by
        path, so there is nothing to change here."""
        return self

    def parameters(self) -> list[tf.Variable]:
        return list(self.trainable_variables)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """A tensor the module keeps and torch does not train (running statistics)."""
        setattr(self, name, None if tensor is None else tf.Variable(tensor, trainable=False))

    def register_parameter(self, name: str, param: Any) -> None:
        setattr(self, name, param)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        return self  # the twin always runs on the CPU


def _uniform(shape: tuple[int, ...], fan_in: int) -> tf.Variable:
    """torch's default initialisation, so twin code run on its own behaves like torch's."""
    bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
    return tf.Variable(tf.random.uniform(shape, -bound, bound))


class Linear(Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _uniform((out_features, in_features), in_features)
        self.bias = _uniform((out_features,), in_features) if bias else None

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return linear(x, self.weight, self.bias)


class Activation(Module):
    """A module that applies one function: ReLU, Tanh, Sigmoid, Identity."""

    function = staticmethod(tf.identity)

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # inplace=True and the like
        super().__init__()

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return self.function(x)


class ReLU(Activation):
    function = staticmethod(tf.nn.relu)


class Tanh(Activation):
    function = staticmethod(tf.tanh)


class Sigmoid(Activation):
    function = staticmethod(tf.sigmoid)


class Identity(Activation):
    pass


class Softmax(Module):
    function = staticmethod(tf.nn.softmax)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        dim = self.dim if self.dim is not None else (0 if x.shape.rank in (0, 1, 3) else 1)
        return self.function(x, axis=dim)  # torch's legacy choice when dim is not given


class LogSoftmax(Softmax):
    function = staticmethod(tf.nn.log_softmax)


class Dropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = p

    @do_not_convert
    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return dropout(x, self.p, self.training)


class Embedding(Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__()
        self.padding_idx = padding_idx
        self.weight = tf.Variable(tf.random.normal((num_embeddings, embedding_dim)))

    @do_not_convert
    def forward(self, indices: tf.Tensor) -> tf.Tensor:
        rows = tf.gather(self.weight, indices)
        if self.padding_idx is None:
            return rows
        padding = tf.expand_dims(tf.equal(indices, self.padding_idx), -1)
        return tf.where(padding, tf.stop_gradient(rows), rows)  # torch trains no padding row


class ModuleList(Module):
    """Children by position; torch names their parameters ``0.weight``, ``1.weight``."""

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        self.items = list(modules or ())

    def __getitem__(self, index: int | slice) -> Any:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def append(self, module: Any) -> ModuleList:
        self.items.append(module)
        return self

    def extend(self, modules: Any) -> ModuleList:
        self.items.extend(modules)
        return self


class Sequential(ModuleList):
    def __init__(self, *modules: Any) -> None:
        named = modules[0] if len(modules) == 1 and isinstance(modules[0], OrderedDict) else None
        super().__init__(named.values() if named else modules)
        for name, module in (named or {}).items():
            setattr(self, name, module)

    def forward(self, x: Any) -> Any:
        for module in self.items:
            x = module(x)
        return x


# Op helpers, then the families of torch.nn, each in a module of its own; last, since they
# build on the above.
from explorer.twin.lib_activations import *  # noqa: E402,F403
from explorer.twin.lib_attention import *  # noqa: E402,F403
from explorer.twin.lib_conv import *  # noqa: E402,F403
from explorer.twin.lib_layers import *  # noqa: E402,F403
from explorer.twin.lib_losses import *  # noqa: E402,F403
from explorer.twin.lib_ops import *  # noqa: E402,F403
from explorer.twin.lib_recurrent import *  # noqa: E402,F403
