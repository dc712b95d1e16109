"""The twin's table rows for torch.nn's normalisation, flatten, the dropout family, embeddings,
containers and linear forms: class names with a twin in ``explorer.twin.lib_layers`` (and
``lib_layers_blocks``) and the rules of their functional forms. Pure text, like ``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = (
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
    "InstanceNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LayerNorm", "GroupNorm",
    "RMSNorm", "LocalResponseNorm", "Flatten", "Unflatten", "Dropout1d", "Dropout2d",
    "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "EmbeddingBag", "Bilinear",
    "LazyLinear", "ModuleDict", "ParameterList", "ParameterDict")

DROPPED = ("inplace", "cudnn_enable", "cudnn_enabled")  # how torch runs it, not what


def _call(helper: str, params: str) -> tuple[Rule, ...]:
    """A rule passing every argument given to ``tt.<helper>``: the first ones (required) by
    position, the others by name and only when the call gave them, so the helper's defaults,
    torch's own, hold otherwise."""
    first, *rest = (p.strip() for p in params.split(","))
    text = f"tt.{helper}({{{first}}}"
    for param in rest:
        name, _, default = param.partition("=")
        if name not in DROPPED:
            text += f"<, {name}={{{name}}}>" if default else f", {{{name}}}"
    return (Rule(params, text + ")"),)


F = "torch.nn.functional."
DROPOUT = "input, p=0.5, training=True, inplace=False"
ALPHA = "input, p=0.5, training=False, inplace=False"
EMBEDDING = "input, weight, padding_idx=None, max_norm=None, norm_type=2.0, " \
            "scale_grad_by_freq=False, sparse=False"
EMBEDDING_BAG = ("input, weight, offsets=None, max_norm=None, norm_type=2, "
                 "scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None, "
                 "include_last_offset=False, padding_idx=None")

FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    F + "batch_norm": _call("batch_norm", "input, running_mean, running_var, weight=None, "
                                          "bias=None, training=False, momentum=0.1, eps=1e-05"),
    F + "instance_norm": _call("instance_norm", "input, running_mean=None, running_var=None, "
                                                "weight=None, bias=None, use_input_stats=True, "
                                                "momentum=0.1, eps=1e-05"),
    F + "layer_norm": _call("layer_norm", "input, normalized_shape, weight=None, bias=None, "
                                          "eps=1e-05"),
    F + "group_norm": _call("group_norm", "input, num_groups, weight=None, bias=None, eps=1e-05"),
    F + "rms_norm": _call("rms_norm", "input, normalized_shape, weight=None, eps=None"),
    F + "local_response_norm": _call("local_response_norm",
                                     "input, size, alpha=0.0001, beta=0.75, k=1.0"),
    F + "dropout1d": _call("dropout1d", DROPOUT),
    F + "dropout2d": _call("dropout2d", DROPOUT),
    F + "dropout3d": _call("dropout3d", DROPOUT),
    F + "alpha_dropout": _call("alpha_dropout", ALPHA),
    F + "feature_alpha_dropout": _call("feature_alpha_dropout", ALPHA),
    F + "embedding": _call("embedding", EMBEDDING),
    F + "embedding_bag": _call("embedding_bag", EMBEDDING_BAG),
    F + "bilinear": _call("bilinear", "input1, input2, weight, bias=None"),
    # torch's own spellings of the same
    "torch.layer_norm": _call("layer_norm", "input, normalized_shape, weight=None, bias=None, "
                                            "eps=1e-05, cudnn_enable=True"),
    "torch.group_norm": _call("group_norm", "input, num_groups, weight=None, bias=None, "
                                            "eps=1e-05, cudnn_enabled=True"),
    "torch.rms_norm": _call("rms_norm", "input, normalized_shape, weight=None, eps=None"),
    "torch.bilinear": _call("bilinear", "input1, input2, weight, bias=None"),
    "torch.alpha_dropout": _call("alpha_dropout", "input, p, train"),
    "torch.feature_alpha_dropout": _call("feature_alpha_dropout", "input, p, train"),
    "torch.nn.Embedding.from_pretrained": _call(
        "Embedding.from_pretrained", "embeddings, freeze=True, padding_idx=None, max_norm=None, "
                                     "norm_type=2.0, scale_grad_by_freq=False, sparse=False"),
}
METHODS: dict[str, tuple[Rule, ...]] = {}
