"""The twin's table rows for torch.nn's losses: class names with a twin in
``explorer.twin.lib_losses`` and the rules of their functional forms (F.x, and torch.x where
torch has it: ATen's forms, whose reduction is an int). Pure text, like ``table``.

These rows replace ``table``'s own F.mse_loss and F.cross_entropy (the family merge runs
after): every argument torch takes, and cross_entropy always through ``tt.cross_entropy``,
since TF's sparse softmax cross-entropy knows neither classes in dim 1 of an (N, C, d1, ...)
input, nor probability targets, weights, ignore_index or label smoothing.
"""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = (
    "BCELoss", "BCEWithLogitsLoss", "CTCLoss", "CosineEmbeddingLoss", "CrossEntropyLoss",
    "GaussianNLLLoss", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss",
    "LinearCrossEntropyLoss", "MSELoss", "MarginRankingLoss", "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss", "PoissonNLLLoss", "SmoothL1Loss",
    "SoftMarginLoss", "TripletMarginLoss")

LEGACY = "size_average=None, reduce=None"  # torch's deprecated pair: the helper maps it


def _loss(name: str, params: str, tensors: int = 2) -> tuple[Rule, ...]:
    """``tt.<name>(t1, ..., key=value...)``: the first ``tensors`` arguments by position, the
    others by keyword: those the call passed, and those whose default in ``params`` is not
    None (the default then is torch's, not the helper's)."""
    pairs = [(p.partition("=")[0].strip(), p.partition("=")[2]) for p in params.split(",")]
    positional = ", ".join(f"{{{n}}}" for n, _ in pairs[:tensors])
    keywords = "".join(f"<, {n}={{{n}}}>" if default in ("", "None") else f", {n}={{{n}}}"
                       for n, default in pairs[tensors:] if n != "*")
    return (Rule(params, f"tt.{name}({positional}{keywords})"),)


FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    "torch.nn.functional.cross_entropy": _loss(
        "cross_entropy", "input, target, weight=None, size_average=None, ignore_index=None, "
                         "reduce=None, reduction=None, label_smoothing=None"),
    "torch.nn.functional.nll_loss": _loss(
        "nll_loss", "input, target, weight=None, size_average=None, ignore_index=None, "
                    "reduce=None, reduction=None"),
    "torch.nn.functional.mse_loss": (
        Rule("input, target", "tf.reduce_mean(tf.square({input:p} - {target:p}))"),
        *_loss("mse_loss", f"input, target, {LEGACY}, reduction=None, weight=None")),
    "torch.nn.functional.l1_loss": _loss("l1_loss", f"input, target, {LEGACY}, reduction=None, "
                                                    "weight=None"),
    "torch.nn.functional.smooth_l1_loss": _loss(
        "smooth_l1_loss", f"input, target, {LEGACY}, reduction=None, beta=None"),
    "torch.nn.functional.huber_loss": _loss(
        "huber_loss", "input, target, reduction=None, delta=None, weight=None"),
    "torch.nn.functional.binary_cross_entropy": _loss(
        "binary_cross_entropy", f"input, target, weight=None, {LEGACY}, reduction=None"),
    "torch.nn.functional.binary_cross_entropy_with_logits": _loss(
        "binary_cross_entropy_with_logits",
        f"input, target, weight=None, {LEGACY}, reduction=None, pos_weight=None"),
    "torch.nn.functional.kl_div": _loss("kl_div", f"input, target, {LEGACY}, reduction=None, "
                                                  "log_target=None"),
    "torch.nn.functional.cosine_embedding_loss": _loss(
        "cosine_embedding_loss", f"input1, input2, target, margin=None, {LEGACY}, "
                                 "reduction=None", 3),
    "torch.nn.functional.gaussian_nll_loss": _loss(
        "gaussian_nll_loss", "input, target, var, full=None, eps=None, reduction=None", 3),
    "torch.nn.functional.hinge_embedding_loss": _loss(
        "hinge_embedding_loss", f"input, target, margin=None, {LEGACY}, reduction=None"),
    "torch.nn.functional.margin_ranking_loss": _loss(
        "margin_ranking_loss", f"input1, input2, target, margin=None, {LEGACY}, "
                               "reduction=None", 3),
    "torch.nn.functional.multilabel_margin_loss": _loss(
        "multilabel_margin_loss", f"input, target, {LEGACY}, reduction=None"),
    "torch.nn.functional.multilabel_soft_margin_loss": _loss(
        "multilabel_soft_margin_loss", f"input, target, weight=None, {LEGACY}, reduction=None"),
    "torch.nn.functional.multi_margin_loss": _loss(
        "multi_margin_loss", f"input, target, p=None, margin=None, weight=None, {LEGACY}, "
                             "reduction=None"),
    "torch.nn.functional.poisson_nll_loss": _loss(
        "poisson_nll_loss", "input, target, log_input=None, full=None, size_average=None, "
                            "eps=None, reduce=None, reduction=None"),
    "torch.nn.functional.soft_margin_loss": _loss(
        "soft_margin_loss", f"input, target, {LEGACY}, reduction=None"),
    "torch.nn.functional.ctc_loss": _loss(
        "ctc_loss", "log_probs, targets, input_lengths, target_lengths, blank=None, "
                    "reduction=None, zero_infinity=None", 4),
    "torch.nn.functional.triplet_margin_loss": _loss(
        "triplet_margin_loss", "anchor, positive, negative, margin=None, p=None, eps=None, "
                               f"swap=None, {LEGACY}, reduction=None", 3),
    "torch.nn.functional.linear_cross_entropy": _loss(
        "linear_cross_entropy", "input, linear_weight, target, *, linear_bias=None, "
                                "weight=None, reduction=None, ignore_index=None, "
                                "label_smoothing=None, options=None", 3),
    # torch.x: ATen's own signatures, the reduction an int (0 none, 1 mean, 2 sum). Left out,
    # it is 'none': torch's Python binding of these forms does not apply the schema's Mean.
    "torch.binary_cross_entropy_with_logits": _loss(
        "binary_cross_entropy_with_logits",
        "input, target, weight=None, pos_weight=None, reduction=0"),
    "torch.kl_div": _loss("kl_div", "input, target, reduction=0, *, log_target=None"),
    "torch.cosine_embedding_loss": _loss(
        "cosine_embedding_loss", "input1, input2, target, margin=None, reduction=0", 3),
    "torch.hinge_embedding_loss": _loss("hinge_embedding_loss",
                                        "input, target, margin=None, reduction=0"),
    "torch.margin_ranking_loss": _loss(
        "margin_ranking_loss", "input1, input2, target, margin=None, reduction=0", 3),
    "torch.poisson_nll_loss": _loss("poisson_nll_loss",
                                    "input, target, log_input, full, eps, reduction"),
    "torch.ctc_loss": _loss("ctc_loss", "log_probs, targets, input_lengths, target_lengths, "
                                        "blank=None, reduction=0, zero_infinity=None", 4),
    "torch.triplet_margin_loss": _loss(
        "triplet_margin_loss", "anchor, positive, negative, margin=None, p=None, eps=None, "
                               "swap=None, reduction=0", 3),
}
METHODS: dict[str, tuple[Rule, ...]] = {}
