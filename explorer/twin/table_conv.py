"""The twin's table rows for torch.nn's convolutions (1-3d, transposed, lazy), pooling (max,
avg, adaptive, LP) and padding: class names with a twin in ``explorer.twin.lib_conv`` and the
rules of their functional forms. Pure text, like ``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule


def _helper(name: str, params: str, positional: int = 1) -> tuple[Rule, ...]:
    """``tt.<name>(...)`` with torch's signature: the first ``positional`` arguments by
    position, the rest by keyword where given (the helpers take torch's parameter names)."""
    names = [p.split("=")[0] for p in params.split(", ")]
    first = ", ".join(f"{{{n}}}" for n in names[:positional])
    rest = "".join(f"<, {n}={{{n}}}>" for n in names[positional:])
    return (Rule(params, f"tt.{name}({first}{rest})"),)


CONV = "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1"
CONV_TRANSPOSE = ("input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, "
                  "dilation=1")
MAX_POOL = "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False"
# torch.max_pool*d returns no indices (torch.max_pool*d_with_indices does); F.max_pool*d may.
INDICES = ", return_indices=False"
AVG_POOL = "input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True"
LP_POOL = "input, norm_type, kernel_size, stride=None, ceil_mode=False"

_FORMS: dict[str, tuple[Rule, ...]] = {
    **{f"conv{n}d": _helper(f"conv{n}d", CONV, 2) for n in (1, 2, 3)},
    **{f"conv_transpose{n}d": _helper(f"conv_transpose{n}d", CONV_TRANSPOSE, 2)
       for n in (1, 2, 3)},
    **{f"max_pool{n}d": _helper(f"max_pool{n}d", MAX_POOL + INDICES) for n in (1, 2, 3)},
    "avg_pool1d": _helper("avg_pool1d", AVG_POOL),
    **{f"avg_pool{n}d": _helper(f"avg_pool{n}d", AVG_POOL + ", divisor_override=None")
       for n in (2, 3)},
    **{f"lp_pool{n}d": _helper(f"lp_pool{n}d", LP_POOL, 2) for n in (1, 2, 3)},
    **{f"adaptive_avg_pool{n}d": _helper(f"adaptive_avg_pool{n}d", "input, output_size", 2)
       for n in (1, 2, 3)},
    **{f"adaptive_max_pool{n}d": _helper(f"adaptive_max_pool{n}d", "input, output_size" + INDICES,
                                         2) for n in (1, 2, 3)},
    "pad": _helper("mode_pad", "input, pad, mode='constant', value=None", 2),
}

# torch's own spellings of some (torch.conv2d, torch.max_pool2d...) take the same arguments;
# torch.max_pool*d's default stride is [] where F's is None, which the twin reads alike.
TORCH_NAMES = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d", "avg_pool1d", "adaptive_avg_pool1d")

FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    **{f"torch.nn.functional.{name}": rules for name, rules in _FORMS.items()},
    **{f"torch.{name}": _FORMS[name] for name in TORCH_NAMES},
    **{f"torch.max_pool{n}d": _helper(f"max_pool{n}d", MAX_POOL) for n in (1, 2, 3)},
}
METHODS: dict[str, tuple[Rule, ...]] = {}

CLASSES: tuple[str, ...] = tuple(
    [f"{kind}{n}d" for kind in ("Conv", "ConvTranspose", "LazyConv", "LazyConvTranspose",
                                "MaxPool", "AvgPool", "LPPool", "AdaptiveAvgPool",
                                "AdaptiveMaxPool", "CircularPad", "ConstantPad",
                                "ReflectionPad", "ReplicationPad", "ZeroPad")
     for n in (1, 2, 3)])
