"""The twin's table rows for torch.nn's activation functions: class names with a twin in
``explorer.twin.lib_activations`` and the rules of their functional forms (F.x, torch.x and
tensor methods where torch has them). Pure text, like ``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = (
    "CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "LeakyReLU", "LogSigmoid", "Mish", "PReLU", "ReLU6", "RReLU", "SELU", "SiLU", "Softmax2d",
    "Softmin", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "Threshold")

INPLACE = ", inplace=None"  # accepted, and meaningless for TF's immutable tensors


def _plain(tf_name: str, extra: str = INPLACE) -> tuple[Rule, ...]:
    return (Rule("input" + extra, f"{tf_name}({{input}})"),)


# Rules shared by F.x, torch.x and the tensor method x.name(...), where torch has them.
SHARED: dict[str, tuple[Rule, ...]] = {
    "selu": _plain("tt.selu"),
    "celu": (Rule("input, alpha=None" + INPLACE, "tt.celu({input}<, {alpha}>)"),),
    "hardshrink": (Rule("input, lambd=None", "tt.hardshrink({input}<, {lambd}>)"),),
    "prelu": (Rule("input, weight", "tt.prelu({input}, {weight})"),),
    "threshold": (Rule("input, threshold, value" + INPLACE,
                       "tt.threshold({input}, {threshold}, {value})"),),
    "rrelu": (Rule("input, lower=None, upper=None, training=None" + INPLACE,
                   "tt.rrelu({input}<, lower={lower}><, upper={upper}><, training={training}>)"),),
}

FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    **{f"torch.{name}": rules for name, rules in SHARED.items()},
    **{f"torch.nn.functional.{name}": rules for name, rules in SHARED.items()},
    "torch.nn.functional.gelu": (Rule("input, approximate=None",
                                      "tt.gelu({input}<, {approximate}>)"),),
    "torch.nn.functional.silu": _plain("tf.nn.silu"),
    "torch.nn.functional.relu6": _plain("tf.nn.relu6"),
    "torch.nn.functional.mish": _plain("tt.mish"),
    "torch.nn.functional.hardswish": _plain("tt.hardswish"),
    "torch.nn.functional.hardsigmoid": _plain("tt.hardsigmoid"),
    "torch.nn.functional.logsigmoid": _plain("tf.math.log_sigmoid", ""),
    "torch.nn.functional.softsign": _plain("tf.nn.softsign", ""),
    "torch.nn.functional.tanhshrink": _plain("tt.tanhshrink", ""),
    "torch.nn.functional.leaky_relu": (
        # always with alpha: TF's default slope is 0.2, torch's 0.01
        Rule("input, negative_slope=0.01" + INPLACE,
             "tf.nn.leaky_relu({input}, alpha={negative_slope})"),),
    "torch.nn.functional.elu": (Rule("input, alpha=None" + INPLACE,
                                     "tt.elu({input}<, {alpha}>)"),),
    "torch.nn.functional.softplus": (
        Rule("input, beta=None, threshold=None",
             "tt.softplus({input}<, beta={beta}><, threshold={threshold}>)"),),
    "torch.nn.functional.hardtanh": (
        Rule("input, min_val=None, max_val=None" + INPLACE,
             "tt.hardtanh({input}<, min_val={min_val}><, max_val={max_val}>)"),),
    "torch.nn.functional.softmin": (Rule("input, dim=None", "tt.softmin({input}<, {dim}>)"),),
    "torch.nn.functional.glu": (Rule("input, dim=None", "tt.glu({input}<, {dim}>)"),),
    "torch.nn.functional.softshrink": (Rule("input, lambd=None",
                                            "tt.softshrink({input}<, {lambd}>)"),),
}

METHODS: dict[str, tuple[Rule, ...]] = {name: SHARED[name] for name in ("hardshrink", "prelu")}
