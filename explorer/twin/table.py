"""The table of TensorFlow equivalents the twin translation rewrites torch code onto.

A rule is a torch signature plus a TF template. ``{name}`` is an argument's text, ``{name:p}``
the same in parentheses unless it is atomic, and ``<...>`` an optional part, written only when
every argument it names was passed. A torch name maps to rules tried in order; the first that
binds the call's arguments (and whose ``when`` holds) wins. Varargs (``*size``) render as
one shape; a bare ``*`` makes the arguments after it keyword-only, as in torch. ``tf`` is
TensorFlow and ``tt`` is ``explorer.twin.lib``, the twin's runtime.
"""
from __future__ import annotations

from explorer.twin import (
    table_activations,
    table_attention,
    table_conv,
    table_layers,
    table_losses,
    table_ops,
    table_recurrent,
)
from explorer.twin.rules import FACTORY, Rule, extreme, infix, reduction, unary

SHARED: dict[str, tuple[Rule, ...]] = {
    # torch.X(t, ...) and t.X(...) alike: the receiver of a method is ``input``.
    "relu": unary("tf.nn.relu"), "tanh": unary("tf.tanh"), "sigmoid": unary("tf.sigmoid"),
    "exp": unary("tf.exp"), "log": unary("tf.math.log"), "sqrt": unary("tf.sqrt"),
    "abs": unary("tf.abs"), "sin": unary("tf.sin"), "cos": unary("tf.cos"),
    "neg": unary("tf.negative"), "square": unary("tf.square"), "t": unary("tf.transpose"),
    "clamp": (Rule("input, min, max", "tf.clip_by_value({input}, {min}, {max})"),
              Rule("input, min", "tf.maximum({input}, {min})"),
              Rule("input, max=None", "tf.minimum({input}, {max})")),
    "pow": (Rule("input, exponent", "tf.pow({input}, {exponent})"),),
    "sum": reduction("tf.reduce_sum"), "mean": reduction("tf.reduce_mean"),
    "max": extreme("tf.reduce_max", "tt.max_dim", "tf.maximum"),
    "min": extreme("tf.reduce_min", "tt.min_dim", "tf.minimum"),
    "norm": (Rule("input, p=None, dim=None, keepdim=None",
                  "tf.norm({input}<, ord={p}><, axis={dim}><, keepdims={keepdim}>)"),),
    "softmax": (Rule("input, dim, dtype=None", "tf.nn.softmax({input}, axis={dim})"),),
    "log_softmax": (Rule("input, dim, dtype=None", "tf.nn.log_softmax({input}, axis={dim})"),),
    "matmul": (Rule("input, other", "tf.matmul({input}, {other})"),),
    "mm": (Rule("input, mat2", "tf.matmul({input}, {mat2})"),),
    "transpose": (Rule("input, dim0, dim1", "tt.swapaxes({input}, {dim0}, {dim1})"),),
    "reshape": (Rule("input, *shape", "tf.reshape({input}, {shape})"),),
    "squeeze": (Rule("input, dim=None", "tf.squeeze({input}<, axis={dim}>)"),),
    "unsqueeze": (Rule("input, dim", "tf.expand_dims({input}, axis={dim})"),),
    "add": (Rule("input, other", "({input:p} + {other:p})"),
            Rule("input, other, alpha", "({input:p} + {alpha:p} * {other:p})")),
    "sub": (Rule("input, other", "({input:p} - {other:p})"),
            Rule("input, other, alpha", "({input:p} - {alpha:p} * {other:p})")),
    "mul": infix("*"), "div": infix("/"),
    "detach": unary("tf.stop_gradient"), "clone": unary("tf.identity"),
}

FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    **{f"torch.{name}": rules for name, rules in SHARED.items()},
    "torch.dropout": (Rule("input, p=0.5, train=True", "tt.dropout({input}, {p}, {train})"),),
    "torch.maximum": (Rule("input, other", "tf.maximum({input}, {other})"),),
    "torch.minimum": (Rule("input, other", "tf.minimum({input}, {other})"),),
    "torch.where": (Rule("condition, input, other", "tf.where({condition}, {input}, {other})"),),
    "torch.cat": (Rule("tensors, dim=0", "tf.concat({tensors}, axis={dim})"),),
    "torch.concat": (Rule("tensors, dim=0", "tf.concat({tensors}, axis={dim})"),),
    "torch.stack": (Rule("tensors, dim=0", "tf.stack({tensors}, axis={dim})"),),
    "torch.zeros": (Rule("*size" + FACTORY, "tf.zeros({size}<, dtype={dtype}>)"),),
    "torch.ones": (Rule("*size" + FACTORY, "tf.ones({size}<, dtype={dtype}>)"),),
    "torch.zeros_like": (Rule("input" + FACTORY, "tf.zeros_like({input}<, dtype={dtype}>)"),),
    "torch.ones_like": (Rule("input" + FACTORY, "tf.ones_like({input}<, dtype={dtype}>)"),),
    "torch.full": (Rule("size, fill_value" + FACTORY, "tf.fill({size}, {fill_value})"),),
    "torch.randn": (Rule("*size" + FACTORY, "tf.random.normal({size}<, dtype={dtype}>)"),),
    "torch.rand": (Rule("*size" + FACTORY, "tf.random.uniform({size}<, dtype={dtype}>)"),),
    "torch.randint": (
        Rule("high, size" + FACTORY, "tf.random.uniform({size}, 0, {high}, dtype=tf.int64)"),
        Rule("low, high, size" + FACTORY,
             "tf.random.uniform({size}, {low}, {high}, dtype=tf.int64)")),
    "torch.tensor": (Rule("data", "tf.constant({data}, dtype=tf.int64)", when="ints"),
                     Rule("data" + FACTORY, "tf.constant({data}<, dtype={dtype}>)")),
    "torch.arange": (Rule("end", "tf.range({end}, dtype=tf.int64)", when="ints"),
                     Rule("start, end, step=None", "tf.range({start}, {end}<, {step}>, "
                                                   "dtype=tf.int64)", when="ints"),
                     Rule("end" + FACTORY, "tf.range({end}<, dtype={dtype}>)"),
                     Rule("start, end, step=None" + FACTORY,
                          "tf.range({start}, {end}<, {step}><, dtype={dtype}>)")),
    "torch.eye": (Rule("n" + FACTORY, "tf.eye({n}<, dtype={dtype}>)"),),
    "torch.is_tensor": (Rule("obj", "tf.is_tensor({obj})"),),
    "torch.manual_seed": (Rule("seed", "tf.random.set_seed({seed})"),),
    "torch.device": (Rule("type, index=None", "{type}"),),
    "torch.cuda.is_available": (Rule("", "False"),),  # the twin always runs on the CPU
    "torch.no_grad": (Rule("", "tt.no_grad()", module_level=True),),
    # torch.nn.functional
    **{f"torch.nn.functional.{name}": SHARED[name]
       for name in ("relu", "tanh", "sigmoid", "softmax", "log_softmax")},
    "torch.nn.functional.dropout": (
        Rule("input, p=0.5, training=True, inplace=None", "tt.dropout({input}, {p}, {training})"),),
    # losses (F.mse_loss, F.cross_entropy...): the loss family, table_losses
    "torch.nn.functional.linear": (Rule("input, weight, bias=None",
                                        "tt.linear({input}, {weight}<, {bias}>)"),),
}

METHODS: dict[str, tuple[Rule, ...]] = {
    **SHARED,
    "view": SHARED["reshape"],
    "permute": (Rule("input, *dims", "tf.transpose({input}, {dims})"),),
    "item": (Rule("input", "tf.stop_gradient({input})"),),  # a number: it leaves the graph
    "size": (Rule("input", "{input:p}.shape"), Rule("input, dim", "{input:p}.shape[{dim}]")),
    "dim": (Rule("input", "{input:p}.shape.rank"),),
    "numel": (Rule("input", "{input:p}.shape.num_elements()"),),
    "float": (Rule("input", "tf.cast({input}, tf.float32)"),),
    "long": (Rule("input", "tf.cast({input}, tf.int64)"),),
    "to": (Rule("input, dtype", "tf.cast({input}, {dtype})", when="is_dtype"),
           Rule("input, other", "tf.cast({input}, {other:p}.dtype)", when="other_is_tensor"),
           Rule("input, *args, non_blocking=None, device=None", "{input:p}")),
    "cpu": (Rule("input", "{input:p}"),), "cuda": (Rule("input", "{input:p}"),),
    "contiguous": (Rule("input", "{input:p}"),),
    "requires_grad_": (Rule("input, requires_grad=None", "tf.Variable({input})",
                            when="wants_grad", module_level=True),
                       Rule("input, requires_grad=None", "{input:p}")),
}

# In-place methods become rebinding: ``h.add_(x)`` -> ``h = (h + x)``.
IN_PLACE: dict[str, tuple[Rule, ...]] = {
    **{f"{name}_": METHODS[name] for name in (
        "add", "sub", "mul", "div", "pow", "clamp", "relu", "tanh", "sigmoid", "exp", "abs",
        "neg", "sqrt", "log", "t", "squeeze", "unsqueeze", "transpose")},
    "zero_": (Rule("input", "tf.zeros_like({input})"),),
    "fill_": (Rule("input, value", "tf.fill(tf.shape({input}), {value})"),),
}

# The ops beyond these basics (indexing, scans, comparisons, shapes...): explorer.twin.table_ops
FUNCTIONS.update(table_ops.FUNCTIONS)
METHODS.update(table_ops.METHODS)
IN_PLACE.update(table_ops.IN_PLACE)

# Methods a TF tensor has under torch's name, left as they are.
TF_TENSOR_METHODS = {"numpy", "get_shape", "set_shape", "__len__", "__getitem__", "__bool__"}

# Python's own conversions of a tensor: a number, which leaves the graph as in torch.
BUILTINS: dict[str, tuple[Rule, ...]] = {
    "float": (Rule("input", "tf.stop_gradient(tf.cast({input}, tf.float32))"),),
    "int": (Rule("input", "tf.cast(tf.stop_gradient({input}), tf.int64)"),),
}

ATTRIBUTES: dict[str, str] = {"T": "tf.transpose({input})",
                              "mT": "tf.linalg.matrix_transpose({input})"}

CONSTANTS: dict[str, str] = {
    "torch.float32": "tf.float32", "torch.float": "tf.float32", "torch.float64": "tf.float64",
    "torch.double": "tf.float64", "torch.float16": "tf.float16", "torch.half": "tf.float16",
    "torch.int64": "tf.int64", "torch.long": "tf.int64", "torch.int32": "tf.int32",
    "torch.int": "tf.int32", "torch.bool": "tf.bool", "torch.Tensor": "tf.Tensor",
    "torch.Size": "tf.TensorShape",
}

# torch.nn classes with a twin in explorer.twin.lib (same name, same parameter names).
CLASSES = ("Module", "Linear", "ReLU", "Tanh", "Sigmoid", "Identity", "Softmax", "LogSoftmax",
           "Sequential", "ModuleList", "Dropout", "Embedding", "Parameter")

# The families of torch.nn (layers, convolutions, recurrent, attention, losses, activations):
# each adds its classes (runtime in explorer.twin.lib_<family>) and the rules of its
# functional forms.
FAMILIES = (table_layers, table_conv, table_recurrent, table_attention, table_losses,
            table_activations)
CLASSES += tuple(name for family in FAMILIES for name in family.CLASSES)
for _family in FAMILIES:
    FUNCTIONS.update(_family.FUNCTIONS)
    METHODS.update(_family.METHODS)

# Imported modules: torch's on the left, the twin's on the right.
MODULES: dict[str, str] = {"torch": "tensorflow", "torch.nn": "explorer.twin.lib",
                           "torch.nn.functional": "explorer.twin.lib"}
TF_IMPORT = "import tensorflow as tf"
TT_IMPORT = "import explorer.twin.lib as tt"

# Statements that only initialise values, which the twin copies from the torch run anyway.
INIT_ONLY = ("torch.nn.init.",)

# What a static graph cannot express: the key of twin_limits.REASONS that explains why.
UNSUPPORTED: dict[str, str] = {
    "torch.autograd.Function": "autograd_function",
    "torch.no_grad": "no_grad",
    "torch.enable_grad": "no_grad",
    "torch.set_grad_enabled": "no_grad",
    "torch.autograd.grad": "autograd_grad",
}
UNSUPPORTED_ATTRIBUTES: dict[str, str] = {"grad_fn": "grad_fn", "grad": "autograd_grad",
                                          "backward": "autograd_grad"}
