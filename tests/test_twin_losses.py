"""The loss family of the twin: every module and functional form run in PyTorch and as its TF
twin on the same numbers; outputs and every gradient checked against torch's own autograd
with numpy. Rows cover each reduction, weights (a weighted mean), ignore_index, label
smoothing, probability targets, (N, C, d1) inputs and torch's deprecated size_average/reduce."""
from __future__ import annotations

import pytest

from explorer import twin
from explorer.twin import table_losses
from tests.test_twin_activations import check

pytestmark = [pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss"),
              pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated"),
              pytest.mark.filterwarnings("ignore:Using a target size")]  # broadcast on purpose

SNIPPET = '''import torch
import torch.nn as nn
import torch.nn.functional as F

z = torch.randn(4, 5, requires_grad=True)                  # logits, classes in dim 1
z3 = torch.randn(2, 5, 3, requires_grad=True)              # (N, C, d1)
r = torch.cat([torch.randn(3, 5), torch.zeros(1, 5)]).requires_grad_()  # with exact zeros
p = torch.rand(4, 5).clamp(0.05, 0.95).requires_grad_()    # probabilities
soft = torch.softmax(torch.randn(4, 5), 1)                 # probability targets
ones = torch.randint(0, 2, (4, 5)).float()                 # 0/1 targets
sign = ones * 2 - 1                                        # 1/-1 targets
weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5])
frames = torch.randn(5, 2, 3, requires_grad=True)          # CTC's (T, N, C)
{module}


def inputs():
    return (torch.randn(4, 5), torch.tensor([1, 0, 4, -100]),
            torch.tensor([[2, 0, -100], [4, 4, 1]]))


def forward(x, labels, labels3):
{body}
'''

CE = "F.cross_entropy"
# (table key it covers, forward: an expression or a body, TF text the twin must contain,
#  module-level code)
ROWS: list[tuple[str, str, str, str]] = [
    ("torch.nn.functional.cross_entropy",
     f"({CE}(z, labels), {CE}(z, labels, weight=weight, reduction='sum'), "
     f"{CE}(z, labels, weight, reduction='none'), {CE}(z, labels, weight=weight), "
     f"{CE}(z, labels.clamp(min=0), ignore_index=0, label_smoothing=0.1), "
     f"{CE}(z, labels, weight=weight, label_smoothing=0.2), {CE}(z[0], labels[1]))",
     "tt.cross_entropy(z, labels, weight=weight, reduction='sum')", ""),
    ("torch.nn.functional.cross_entropy/nd",
     f"({CE}(z3, labels3, weight=weight), {CE}(z3, labels3, reduction='none', "
     "label_smoothing=0.3), F.cross_entropy(z3, labels3, weight=weight, label_smoothing=0.1))",
     "tt.cross_entropy(z3, labels3", ""),
    ("torch.nn.functional.cross_entropy/probabilities",
     f"({CE}(z, soft), {CE}(z, soft, weight=weight, label_smoothing=0.1, reduction='sum'), "
     f"{CE}(z3, torch.softmax(z3.detach() * 2, 1), reduction='none'))", "tt.cross_entropy(z, soft)",
     ""),
    ("torch.nn.functional.cross_entropy/legacy",
     f"({CE}(z, labels, size_average=False), {CE}(z, labels, reduce=False))", "size_average=False",
     ""),
    ("torch.nn.functional.cross_entropy/all-ignored",
     f"({CE}(z, torch.tensor([1, 1, 1, 1]), ignore_index=1),"
     f" {CE}(z, torch.full((4,), -100), weight=weight, label_smoothing=0.1, reduction='none'))",
     "ignore_index=1", ""),
    ("torch.nn.functional.nll_loss",
     "h = F.log_softmax(z, 1)\n    return (F.nll_loss(h, labels), F.nll_loss(h, labels, weight),"
     " F.nll_loss(h, labels.clamp(min=0), weight=weight, ignore_index=4,"
     " reduction='none'),"
     " F.nll_loss(F.log_softmax(z3, 1), labels3, weight=weight, reduction='sum'))",
     "weight=weight, ignore_index=4", ""),
    ("torch.nn.functional.mse_loss",
     "(F.mse_loss(r, x), F.mse_loss(r, x, reduction='sum'), F.mse_loss(r, x, reduction='none'),"
     " F.mse_loss(r, x, weight=p.detach()), F.mse_loss(r, x[0]))",
     "tf.reduce_mean(tf.square(r - x))", ""),
    ("torch.nn.functional.l1_loss",
     "(F.l1_loss(r, x), F.l1_loss(r, x, reduction='sum'), F.l1_loss(r, x, weight=p.detach()))",
     "tt.l1_loss(r, x)", ""),
    ("torch.nn.functional.smooth_l1_loss",
     "(F.smooth_l1_loss(r, x), F.smooth_l1_loss(r, x, beta=0.5, reduction='none'),"
     " F.smooth_l1_loss(r, x, beta=0.0), F.smooth_l1_loss(r, r.detach() + 1.0))",
     "tt.smooth_l1_loss(r, x, reduction='none', beta=0.5)", ""),
    ("torch.nn.functional.huber_loss",
     "(F.huber_loss(r, x), F.huber_loss(r, x, delta=0.5, reduction='sum'),"
     " F.huber_loss(r, x, weight=p.detach()), F.huber_loss(r, r.detach() + 1.0))",
     "tt.huber_loss(r, x, reduction='sum', delta=0.5)", ""),
    ("torch.nn.functional.binary_cross_entropy",
     "(F.binary_cross_entropy(p, ones), F.binary_cross_entropy(p, soft, weight=weight),"
     " F.binary_cross_entropy(p, ones, reduction='none'), F.binary_cross_entropy(torch.sigmoid(r),"
     " ones, reduction='sum'))", "tt.binary_cross_entropy(p, ones)", ""),
    ("torch.nn.functional.binary_cross_entropy_with_logits",
     "(F.binary_cross_entropy_with_logits(r, ones), F.binary_cross_entropy_with_logits(r, soft,"
     " pos_weight=weight, reduction='sum'), F.binary_cross_entropy_with_logits(z, ones,"
     " weight=weight, pos_weight=weight * 2, reduction='none'))",
     "pos_weight=weight", ""),
    ("torch.nn.functional.kl_div",
     "h = F.log_softmax(z, 1)\n    return (F.kl_div(h, soft, reduction='batchmean'),"
     " F.kl_div(h, soft), F.kl_div(h, soft, reduction='sum'),"
     " F.kl_div(h, torch.log(soft), reduction='none', log_target=True))",
     "tt.kl_div(h, soft, reduction='batchmean')", ""),
    ("torch.nn.functional.cosine_embedding_loss",
     "(F.cosine_embedding_loss(z, x, sign[:, 0]), F.cosine_embedding_loss(z, r, sign[:, 1],"
     " margin=0.2, reduction='none'), F.cosine_embedding_loss(z[0], x[0], sign[0, 0]))",
     "tt.cosine_embedding_loss(z, x, sign[:, 0])", ""),
    ("torch.nn.functional.gaussian_nll_loss",
     "(F.gaussian_nll_loss(r, x, var), F.gaussian_nll_loss(r, x, var, eps=0.3, full=True),"
     " F.gaussian_nll_loss(r, x, var[:, 0], reduction='sum'), F.gaussian_nll_loss(r, x, 0.5))",
     "tt.gaussian_nll_loss(r, x, var)", "var = torch.rand(4, 5).requires_grad_()"),
    ("torch.nn.functional.hinge_embedding_loss",
     "(F.hinge_embedding_loss(r, sign), F.hinge_embedding_loss(z, sign, margin=0.5,"
     " reduction='none'))", "tt.hinge_embedding_loss(r, sign)", ""),
    ("torch.nn.functional.margin_ranking_loss",
     "(F.margin_ranking_loss(r, z, sign), F.margin_ranking_loss(r, x, sign, margin=0.3,"
     " reduction='sum'), F.margin_ranking_loss(z[0], r[0], sign[0].long()))",
     "tt.margin_ranking_loss(r, z, sign)", ""),
    ("torch.nn.functional.multilabel_margin_loss",
     "(F.multilabel_margin_loss(z, multi), F.multilabel_margin_loss(z, multi, reduction='none'),"
     " F.multilabel_margin_loss(z[0], multi[0]))", "tt.multilabel_margin_loss(z, multi)",
     "multi = torch.tensor([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [0, 1, 2, 3, 4], "
     "[-1, 2, 0, 0, 0]])"),
    ("torch.nn.functional.multilabel_soft_margin_loss",
     "(F.multilabel_soft_margin_loss(z, ones), F.multilabel_soft_margin_loss(z, soft,"
     " weight=weight, reduction='none'))", "tt.multilabel_soft_margin_loss(z, ones)", ""),
    ("torch.nn.functional.multi_margin_loss",
     "(F.multi_margin_loss(z, picks), F.multi_margin_loss(z, picks, p=2, margin=0.5,"
     " weight=weight, reduction='sum'), F.multi_margin_loss(z[1], picks[1]))",
     "tt.multi_margin_loss(z, picks)", "picks = torch.tensor([1, 0, 4, 2])"),
    ("torch.nn.functional.poisson_nll_loss",
     "(F.poisson_nll_loss(r, counts), F.poisson_nll_loss(p, counts, log_input=False, full=True),"
     " F.poisson_nll_loss(r, counts, full=True, reduction='none'))",
     "tt.poisson_nll_loss(r, counts)", "counts = torch.randint(0, 6, (4, 5)).float()"),
    ("torch.nn.functional.soft_margin_loss",
     "(F.soft_margin_loss(r, sign), F.soft_margin_loss(z, sign, reduction='none'))",
     "tt.soft_margin_loss(r, sign)", ""),
    ("torch.nn.functional.ctc_loss",
     "lp = frames.log_softmax(2)\n    return (F.ctc_loss(lp, seqs, lengths, seq_lengths),"
     " F.ctc_loss(lp, flat, lengths, seq_lengths, reduction='sum'),"
     " F.ctc_loss(lp, seqs, lengths, seq_lengths, blank=3, reduction='none'),"
     " F.ctc_loss(lp[:, 0], seqs[0], lengths[0], seq_lengths[0], reduction='none'))",
     "tt.ctc_loss(lp, seqs, lengths, seq_lengths)",
     "frames = torch.randn(6, 2, 4, requires_grad=True)\n"
     "seqs = torch.tensor([[1, 2, 2], [2, 1, 0]])\nflat = torch.tensor([1, 2, 2, 2, 1])\n"
     "lengths = torch.tensor([6, 5])\nseq_lengths = torch.tensor([3, 2])"),
    ("torch.nn.functional.triplet_margin_loss",
     "(F.triplet_margin_loss(r, z, x), F.triplet_margin_loss(r, z, x, margin=0.5, p=1,"
     " swap=True, reduction='none'), F.triplet_margin_loss(z, x, r, eps=1e-3))",
     "tt.triplet_margin_loss(r, z, x)", ""),
    ("torch.nn.functional.linear_cross_entropy",
     "(F.linear_cross_entropy(x, proj, labels), F.linear_cross_entropy(x[:2], proj3, labels3,"
     " linear_bias=bias3, weight=weight, label_smoothing=0.1, reduction='none'),"
     " F.linear_cross_entropy(x[:2], proj3, soft3, linear_bias=bias3))",
     "tt.linear_cross_entropy(x, proj, labels)",
     "proj = torch.randn(5, 5, requires_grad=True)\n"
     "proj3 = torch.randn(5, 3, 5, requires_grad=True)\n"
     "bias3 = torch.randn(5, 3, requires_grad=True)\n"
     "soft3 = torch.softmax(torch.randn(2, 5, 3), 1)"),
    ("torch.nn.functional.ctc_loss/unnormalised",
     "(F.ctc_loss(frames, seqs, lengths, seq_lengths), F.ctc_loss(frames * 2, seqs, lengths,"
     " seq_lengths, reduction='none'))", "tt.ctc_loss(frames, seqs",
     "seqs = torch.tensor([[1, 2], [2, 2]])\nlengths = (5, 4)\nseq_lengths = (2, 2)"),
    # torch.x, ATen's forms: the reduction is an int (0 none, 1 mean, 2 sum)
    ("torch.binary_cross_entropy_with_logits",
     "(torch.binary_cross_entropy_with_logits(r, ones), torch.binary_cross_entropy_with_logits("
     "r, soft, weight, weight, 2))", "tt.binary_cross_entropy_with_logits(r, ones, reduction=0)",
     ""),
    ("torch.kl_div", "(torch.kl_div(F.log_softmax(z, 1), soft, 2), torch.kl_div(z, z.detach(), 0,"
                     " log_target=True))", "log_target=True", ""),
    ("torch.cosine_embedding_loss", "torch.cosine_embedding_loss(z, r, sign[:, 2], 0.1, 0)",
     "tt.cosine_embedding_loss(z, r, sign[:, 2], margin=0.1, reduction=0)", ""),
    ("torch.hinge_embedding_loss", "torch.hinge_embedding_loss(r, sign, 0.5, 2)",
     "tt.hinge_embedding_loss(r, sign", ""),
    ("torch.margin_ranking_loss", "torch.margin_ranking_loss(r, z, sign, 0.2, 1)",
     "tt.margin_ranking_loss(r, z, sign", ""),
    ("torch.poisson_nll_loss", "torch.poisson_nll_loss(r, ones * 3, True, True, 1e-8, 0)",
     "tt.poisson_nll_loss(r, ones * 3", ""),
    ("torch.ctc_loss", "torch.ctc_loss(frames.log_softmax(2), seqs, lengths, seq_lengths, 0, 2)",
     "tt.ctc_loss(", "seqs = torch.tensor([[1, 2], [2, 1]])\nlengths = torch.tensor([5, 4])\n"
     "seq_lengths = torch.tensor([2, 1])"),
    ("torch.triplet_margin_loss", "torch.triplet_margin_loss(r, z, x, 1.0, 2.0, 1e-6, True, 1)",
     "tt.triplet_margin_loss(r, z, x", ""),
    # modules
    *[(f"class:{name}", f"crit({args})", f"nn.{name}(", f"crit = nn.{name}({options})")
      for name, options, args in [
          ("CrossEntropyLoss", "", "z, labels"),
          ("CrossEntropyLoss", "weight=torch.rand(5) + 0.5, ignore_index=0, label_smoothing=0.1",
           "z3, labels3.clamp(min=0)"),
          ("CrossEntropyLoss", "reduction='sum'", "z, soft"),
          ("NLLLoss", "weight, reduction='none'", "F.log_softmax(z, 1), labels"),
          ("MSELoss", "", "r, x"), ("MSELoss", "reduction='none'", "r, x"),
          ("MSELoss", "size_average=False", "r, x"), ("L1Loss", "reduce=False", "r, x"),
          ("SmoothL1Loss", "beta=0.3", "r, x"), ("HuberLoss", "'sum', 0.4", "r, x"),
          ("BCELoss", "weight=weight", "p, ones"),
          ("BCEWithLogitsLoss", "pos_weight=torch.rand(5) * 3", "r, soft"),
          ("BCEWithLogitsLoss", "weight, reduction='none'", "r, ones"),
          ("KLDivLoss", "reduction='batchmean', log_target=True", "F.log_softmax(z, 1), z"),
          ("CosineEmbeddingLoss", "margin=0.1", "z, x, sign[:, 0]"),
          ("GaussianNLLLoss", "full=True, eps=0.1", "r, x, p"),
          ("HingeEmbeddingLoss", "2.0", "r, sign"),
          ("MarginRankingLoss", "0.5", "r, z, sign"),
          ("MultiLabelMarginLoss", "", "z, torch.tensor([[4, -1, 0, 0, 0]] * 4)"),
          ("MultiLabelSoftMarginLoss", "weight=weight", "z, ones"),
          ("MultiLabelSoftMarginLoss", "", "z, ones.long()"),
          ("LinearCrossEntropyLoss", "5, 4", "x, labels.clamp(max=3)"),
          ("LinearCrossEntropyLoss", "5, 4, out_features=(2,), bias=True, ignore_index=0,"
           " label_smoothing=0.2, reduction='sum'", "x, torch.tensor([[1, 0], [3, 2], [0, 0],"
           " [2, 1]])"),
          ("MultiMarginLoss", "p=2, weight=weight", "z, torch.tensor([0, 1, 2, 3])"),
          ("PoissonNLLLoss", "log_input=False, full=True", "p, ones * 4"),
          ("SoftMarginLoss", "reduction='sum'", "r, sign"),
          ("TripletMarginLoss", "margin=2.0, p=1.5, swap=True", "r, z, x"),
          ("CTCLoss", "blank=1, zero_infinity=True",
           "frames.log_softmax(2), torch.tensor([[0, 2], [2, 2]]), torch.tensor([5, 4]),"
           " torch.tensor([2, 2])")]],
    # a branch on a tensor's value around the loss: traced by tf.function into an If op
    ("control:if", "loss = crit(z, labels)\n    if loss > 1.0:\n        loss = loss * 0.5 + "
                   "F.mse_loss(r, x)\n    return loss", "if loss > 1.0:",
     "crit = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.05)"),
]
TRACED = ("control:",)


def _body(forward: str) -> str:
    return f"    {forward}" if "\n" in forward else f"    return {forward}"


@pytest.mark.parametrize("key, forward, tf_text, module", ROWS, ids=[r[0] for r in ROWS])
def test_row_matches_torch(key: str, forward: str, tf_text: str, module: str) -> None:
    code = SNIPPET.format(module=module, body=_body(forward))
    text = check(code, traced=key.startswith(TRACED))
    assert tf_text in text


def test_every_table_entry_has_a_row() -> None:
    covered = {r[0].split("/")[0] for r in ROWS}
    keys = ({*table_losses.FUNCTIONS} | {f"method:{k}" for k in table_losses.METHODS}
            | {f"class:{k}" for k in table_losses.CLASSES})
    assert keys - covered == set()


@pytest.mark.parametrize("module, body", [
    ("model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 5))\n"
     "crit = nn.CrossEntropyLoss(weight=weight, ignore_index=4)",
     "    return crit(model(x), labels.clamp(min=0))"),
    ("model = nn.Linear(5, 5)",
     "    out = model(x)\n    loss = F.binary_cross_entropy_with_logits(out, ones, "
     "pos_weight=weight)\n    if loss > 0.5:\n        loss = loss + F.smooth_l1_loss(out, r)\n"
     "    return loss"),
])
def test_compare_end_to_end(module: str, body: str) -> None:
    result = twin.compare(SNIPPET.format(module=module, body=body))
    assert result["status"] == "ok", result.get("message")
    assert result["equivalent"] is True, result["grads"]


def test_unknown_reduction_is_refused() -> None:
    """torch raises on a reduction it does not know; so does the twin, not a silent mean."""
    from explorer.twin import lib as tt

    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        tt.mse_loss(tt.tf.ones(3), tt.tf.zeros(3), reduction="avg")
