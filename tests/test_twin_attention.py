"""The attention family's twins (MultiheadAttention, the Transformer modules,
scaled_dot_product_attention, multi_head_attention_forward, the causal mask): each snippet
run in PyTorch and as its TF twin on the same numbers; outputs and every gradient checked
against torch's own autograd with numpy (not with the twin's own verdict)."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

from explorer import twin
from explorer.twin import table_attention
from explorer.twin.rewrite import translate

twin_run = pytest.importorskip("explorer.twin.run")  # imports TensorFlow once per session
from explorer.twin import lib as twin_lib  # noqa: E402  (after TensorFlow's skip)
from explorer.twin import torch_side  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True",
                                        "ignore:The PyTorch API of nested tensors")

SNIPPET = '''import torch
import torch.nn as nn
import torch.nn.functional as F

{module}


def inputs():
    return {inputs}


def forward({args}):
{body}
'''
SEQ = "(torch.randn(5, 2, 8, requires_grad=True),)"          # (L, N, E), torch's default
BATCH = "(torch.randn(2, 5, 8, requires_grad=True),)"        # batch_first
PADDING = "torch.tensor([[False] * 5, [False, False, False, True, True]])"
CAUSAL = "torch.arange(5)[None, :] > torch.arange(5)[:, None]"  # True: may not attend
MHA = "mha = nn.MultiheadAttention(8, 2)"
LAYER = "layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0)"
DECODER = "dec = nn.TransformerDecoderLayer(8, 2, 16, 0.0)"
MEMORY = "(torch.randn(4, 2, 8, requires_grad=True), torch.randn(5, 2, 8, requires_grad=True))"
QKV = "tuple(torch.randn(2, 2, 5, 4, requires_grad=True) for _ in range(3))"

# (key of the table it covers / variant, module level, inputs(), forward's arguments,
#  forward's body, TF text the twin must contain)
ROWS: list[tuple[str, str, str, str, str, str]] = [
    ("class:MultiheadAttention", MHA, SEQ, "x", "    return mha(x, x, x)",
     "nn.MultiheadAttention(8, 2)"),
    ("class:MultiheadAttention/no-weights", MHA, SEQ, "x",
     "    out, w = mha(x, x, x, need_weights=False)\n    return out if w is None else out * 0",
     "need_weights=False"),
    ("class:MultiheadAttention/per-head", MHA, SEQ, "x",
     "    return mha(x, x, x, average_attn_weights=False)", "average_attn_weights=False"),
    ("class:MultiheadAttention/batch-first", "mha = nn.MultiheadAttention(8, 4, batch_first=True)",
     BATCH, "x", "    return mha(x, x, x)", "batch_first=True"),
    ("class:MultiheadAttention/kdim-vdim", "mha = nn.MultiheadAttention(8, 2, kdim=6, vdim=4)",
     "(torch.randn(5, 2, 8), torch.randn(7, 2, 6, requires_grad=True), torch.randn(7, 2, 4))",
     "q, k, v", "    return mha(q, k, v, key_padding_mask=torch.tensor([[False] * 7, [True] + "
     "[False] * 6]))", "kdim=6, vdim=4"),
    ("class:MultiheadAttention/no-bias", "mha = nn.MultiheadAttention(8, 2, bias=False)", SEQ,
     "x", "    return mha(x, x, x)[0]", "bias=False"),
    ("class:MultiheadAttention/bias-kv-zero-attn",
     "mha = nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)",
     f"({SEQ[1:-2]}, {PADDING}, {CAUSAL})", "x, pad, causal",
     "    return mha(x, x, x, key_padding_mask=pad, attn_mask=causal)", "add_bias_kv=True"),
    ("class:MultiheadAttention/bool-masks", MHA, f"({SEQ[1:-2]}, {PADDING}, {CAUSAL})",
     "x, pad, causal", "    return mha(x, x, x, key_padding_mask=pad, attn_mask=causal)",
     "key_padding_mask=pad"),
    ("class:MultiheadAttention/float-masks", MHA,
     "(torch.randn(5, 2, 8, requires_grad=True), torch.randn(2, 5), torch.randn(5, 5))",
     "x, pad, bias", "    return mha(x, x, x, key_padding_mask=pad, attn_mask=bias)",
     "attn_mask=bias"),
    ("class:MultiheadAttention/empty-rows", MHA,
     f"({SEQ[1:-2]}, torch.tensor([[False] * 5, [True] * 5]))", "x, pad",
     "    return mha(x, x, x, key_padding_mask=pad, need_weights=False)[0]", "need_weights"),
    ("class:MultiheadAttention/empty-rows-weights", MHA,
     f"({SEQ[1:-2]}, torch.tensor([[False] * 5, [True] * 5]))", "x, pad",
     "    out, w = mha(x, x, x, key_padding_mask=pad)\n    return out[:, :1], w[:1], w[1:]",
     "key_padding_mask=pad"),
    ("class:MultiheadAttention/3d-mask", MHA,
     "(torch.randn(5, 2, 8, requires_grad=True), torch.randn(4, 5, 5))", "x, bias",
     "    return mha(x, x, x, attn_mask=bias, need_weights=False)[0]", "attn_mask=bias"),
    ("class:MultiheadAttention/causal-hint", MHA, f"({SEQ[1:-2]}, {PADDING}, {CAUSAL})",
     "x, pad, causal",
     "    a = mha(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)[0]\n"
     "    b = mha(x, x, x, attn_mask=causal, key_padding_mask=pad, is_causal=True)[0]\n"
     "    return a, b", "is_causal=True"),
    ("class:MultiheadAttention/cross-unbatched", MHA,
     "(torch.randn(3, 8, requires_grad=True), torch.randn(5, 8), "
     "torch.tensor([False, True, False, False, False]))", "q, kv, pad",
     "    return mha(q, kv, kv, key_padding_mask=pad)", "mha(q, kv, kv"),
    ("class:MultiheadAttention/train-dropout", "mha = nn.MultiheadAttention(8, 2, dropout=0.3)",
     SEQ, "x", "    return mha(x, x, x)[0] + mha(x, x, x, need_weights=False)[0]",
     "dropout=0.3"),
    ("class:TransformerEncoderLayer", LAYER, SEQ, "x", "    return layer(x)",
     "nn.TransformerEncoderLayer(8, 2, 16, 0.0)"),
    ("class:TransformerEncoderLayer/norm-first-gelu",
     "layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, 'gelu', batch_first=True, "
     "norm_first=True)", BATCH, "x", "    return layer(x)", "norm_first=True"),
    ("class:TransformerEncoderLayer/callable-no-bias",
     "layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=F.relu, bias=False, "
     "layer_norm_eps=1e-3)", SEQ, "x", "    return layer(x)", "activation=tf.nn.relu"),
    ("class:TransformerEncoderLayer/masks", LAYER, f"({SEQ[1:-2]}, {PADDING})", "x, pad",
     "    mask = nn.Transformer.generate_square_subsequent_mask(5)\n"
     "    return layer(x, src_mask=mask, src_key_padding_mask=pad, is_causal=True)",
     "tt.generate_square_subsequent_mask(5)"),
    ("class:TransformerEncoderLayer/eval-dropout",
     "layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)\nlayer.eval()",
     f"({BATCH[1:-2]}, {PADDING})", "x, pad", "    return layer(x, src_key_padding_mask=pad)",
     "layer.eval()"),
    ("class:TransformerEncoderLayer/train-dropout", "layer = nn.TransformerEncoderLayer(8, 2, 16)",
     SEQ, "x", "    return layer(x)", "nn.TransformerEncoderLayer(8, 2, 16)"),
    ("class:TransformerEncoderLayer/unbatched-module-activation",
     "layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=nn.GELU())",
     "(torch.randn(5, 8, requires_grad=True),)", "x", "    return layer(x)",
     "activation=nn.GELU()"),
    ("class:TransformerEncoder", f"{LAYER}\nenc = nn.TransformerEncoder(layer, 2)",
     f"({SEQ[1:-2]}, {CAUSAL})", "x, causal", "    return enc(x, mask=causal)",
     "nn.TransformerEncoder(layer, 2)"),
    ("class:TransformerEncoder/eval-nested-padding",
     "layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)\n"
     "enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=True)\nenc.eval()",
     f"({BATCH[1:-2]}, {PADDING})", "x, pad", "    return enc(x, src_key_padding_mask=pad)",
     "enable_nested_tensor=True"),
    ("class:TransformerEncoder/causal-mask",
     f"{LAYER}\nenc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)", SEQ, "x",
     "    return enc(x, mask=nn.Transformer.generate_square_subsequent_mask(5))",
     "enable_nested_tensor=False"),
    ("class:TransformerEncoder/final-norm",
     f"{LAYER}\nenc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))", SEQ, "x",
     "    return enc(x)", "norm=nn.LayerNorm(8)"),
    ("class:TransformerDecoderLayer", DECODER, f"({MEMORY[1:-1]}, {CAUSAL.replace('5', '4')}, "
     "torch.tensor([[False] * 5, [True] + [False] * 4]))", "tgt, memory, causal, pad",
     "    return dec(tgt, memory, tgt_mask=causal, memory_key_padding_mask=pad)",
     "nn.TransformerDecoderLayer(8, 2, 16, 0.0)"),
    ("class:TransformerDecoderLayer/norm-first",
     "dec = nn.TransformerDecoderLayer(8, 2, 16, 0.0, norm_first=True, batch_first=True)",
     "(torch.randn(2, 4, 8, requires_grad=True), torch.randn(2, 5, 8))", "tgt, memory",
     "    return dec(tgt, memory, tgt_is_causal=True, "
     "tgt_mask=nn.Transformer.generate_square_subsequent_mask(4))", "norm_first=True"),
    ("class:TransformerDecoder", f"{DECODER}\nstack = nn.TransformerDecoder(dec, 2)", MEMORY,
     "tgt, memory", "    return stack(tgt, memory)", "nn.TransformerDecoder(dec, 2)"),
    ("class:Transformer",
     "model = nn.Transformer(8, 2, 1, 2, 16, 0.0)",
     "(torch.randn(5, 2, 8, requires_grad=True), torch.randn(4, 2, 8))", "src, tgt",
     "    mask = nn.Transformer.generate_square_subsequent_mask(4)\n"
     "    return model(src, tgt, tgt_mask=mask)", "nn.Transformer(8, 2, 1, 2, 16, 0.0)"),
    ("class:Transformer/batch-first-masks",
     "model = nn.Transformer(8, 2, 2, 1, 16, 0.0, activation='gelu', batch_first=True, "
     "norm_first=True)",
     f"(torch.randn(2, 5, 8, requires_grad=True), torch.randn(2, 4, 8), {PADDING})",
     "src, tgt, pad",
     "    mask = model.generate_square_subsequent_mask(4)\n"
     "    return model(src, tgt, tgt_mask=mask, tgt_is_causal=True, src_key_padding_mask=pad, "
     "memory_key_padding_mask=pad)", "model.generate_square_subsequent_mask(4)"),
    ("torch.nn.Transformer.generate_square_subsequent_mask", "w = torch.randn(3, 3, "
     "requires_grad=True)", "()", "", "    return torch.softmax(w + nn.Transformer."
     "generate_square_subsequent_mask(3), dim=-1)", "tt.generate_square_subsequent_mask(3)"),
    ("torch.nn.functional.scaled_dot_product_attention", "", QKV, "q, k, v",
     "    return F.scaled_dot_product_attention(q, k, v)", "tt.scaled_dot_product_attention("),
    ("torch.nn.functional.scaled_dot_product_attention/masks", "",
     f"({QKV}, {CAUSAL}, torch.randn(2, 1, 5, 5))", "qkv, causal, bias",
     "    q, k, v = qkv\n    a = F.scaled_dot_product_attention(q, k, v, attn_mask=~causal)\n"
     "    b = F.scaled_dot_product_attention(q, k, v, bias, scale=0.3)\n"
     "    c = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=0.0)\n"
     "    return a, b, c", "scale=0.3"),
    ("torch.nn.functional.scaled_dot_product_attention/empty-rows", "",
     f"({QKV}, torch.arange(5)[:, None] > 0)", "qkv, keep",
     "    q, k, v = qkv\n    return F.scaled_dot_product_attention(q, k, v, attn_mask=keep)",
     "attn_mask=keep"),
    ("torch.nn.functional.scaled_dot_product_attention/gqa", "",
     "(torch.randn(2, 4, 5, 4, requires_grad=True), torch.randn(2, 2, 3, 4), "
     "torch.randn(2, 2, 3, 4, requires_grad=True))", "q, k, v",
     "    return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)", "enable_gqa=True"),
    ("torch.nn.functional.multi_head_attention_forward", MHA, f"({SEQ[1:-2]}, {PADDING})",
     "x, pad", "    return F.multi_head_attention_forward(x, x, x, 8, 2, mha.in_proj_weight, "
     "mha.in_proj_bias, None, None, False, 0.0, mha.out_proj.weight, mha.out_proj.bias, "
     "key_padding_mask=pad, average_attn_weights=False)", "tt.multi_head_attention_forward("),
    ("torch.nn.functional.multi_head_attention_forward/separate-static-kv",
     "mha = nn.MultiheadAttention(8, 2, kdim=6, vdim=4)",
     "(torch.randn(5, 2, 8, requires_grad=True), torch.randn(7, 2, 6), torch.randn(7, 2, 4), "
     "torch.randn(4, 3, 4, requires_grad=True), torch.randn(4, 3, 4, requires_grad=True))",
     "q, k, v, sk, sv",
     "    return F.multi_head_attention_forward(q, k, v, 8, 2, None, mha.in_proj_bias, None, "
     "None, True, 0.0, mha.out_proj.weight, mha.out_proj.bias, use_separate_proj_weight=True, "
     "q_proj_weight=mha.q_proj_weight, k_proj_weight=mha.k_proj_weight, "
     "v_proj_weight=mha.v_proj_weight, static_k=sk, static_v=sv)", "static_k=sk"),
    ("control-flow:TransformerEncoderLayer", LAYER, SEQ, "x",
     "    if x.sum() > 0:\n        return layer(x)\n    return layer(x * 2)",
     "if tf.reduce_sum(x) > 0"),
]
TRACED = ("control-flow:",)  # through tf.function (AutoGraph); the others run eagerly
def _params(rows: list[tuple]) -> list:
    return [pytest.param(*r, id=r[0]) for r in rows]


def run_both(code: str, traced: bool) -> tuple:
    """The snippet in PyTorch (dropout as the identity) and its twin on the same numbers;
    as twin/check.py runs them, the twin's dropout is the identity where torch's ran."""
    torch_run = torch_side.run_torch(code)
    text = translate(code).code
    tf_side = twin_run.load_tf(text, torch_run)
    identity = twin_lib.identity_dropout() if torch_run.dropout else contextlib.nullcontext()
    with identity:
        function = twin_run.trace(tf_side)[0] if traced else tf_side.namespace["forward"]
        outputs, grads = twin_run.run_tape(function, tf_side, torch_run.differentiable)
    return text, torch_run, outputs, grads


def assert_same(expected: np.ndarray, actual: np.ndarray, what: str) -> None:
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype, what
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=what)


@pytest.mark.parametrize("key, module, inputs, args, body, tf_text", _params(ROWS))
def test_row_matches_torch(key: str, module: str, inputs: str, args: str, body: str,
                           tf_text: str) -> None:
    code = SNIPPET.format(module=module, inputs=inputs, args=args, body=body)
    text, torch_run, outputs, grads = run_both(code, traced=key.startswith(TRACED))
    assert tf_text in text
    assert len(outputs) == len(torch_run.outputs)
    for i, (expected, actual) in enumerate(zip(torch_run.outputs, outputs)):
        assert_same(expected, actual, f"output {i}")
    assert torch_run.grads, "every row differentiates something"
    for path, expected in torch_run.grads.items():
        actual = grads[path]
        if expected is None or actual is None:  # not connected (the layer an encoder copies)
            assert expected is None or not np.any(expected), path
            assert actual is None or not np.any(actual), path
        else:
            assert_same(expected, actual, f"gradient of {path}")


def test_every_table_entry_has_a_row() -> None:
    covered = {r[0].split("/")[0] for r in ROWS}
    keys = set(table_attention.FUNCTIONS) | {f"class:{k}" for k in table_attention.CLASSES}
    assert keys - covered == set()


def test_train_mode_dropout_rows_really_drop() -> None:
    """The train-dropout rows test something: torch's run dropped units there (as the
    identity), so the twin's dropout had to be the identity too."""
    for key, module, inputs, args, body, _ in ROWS:
        if key.endswith("train-dropout"):
            code = SNIPPET.format(module=module, inputs=inputs, args=args, body=body)
            assert torch_side.run_torch(code).dropout, key


@pytest.mark.parametrize("module, body", [
    (LAYER, "    return layer(x)"),
    ("layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, norm_first=True)\n"
     "enc = nn.TransformerEncoder(layer, 2)",
     "    if x.mean() > 0:\n        return enc(x, is_causal=True, "
     "mask=nn.Transformer.generate_square_subsequent_mask(2))\n    return enc(x)"),
])
def test_compare_end_to_end(module: str, body: str) -> None:
    result = twin.compare(SNIPPET.format(module=module, inputs=SEQ, args="x", body=body))
    assert result["status"] == "ok", result.get("message")
    assert result["equivalent"] is True, result["message"]
    ops = {n["op"] for n in result["graph"]["nodes"]}
    assert "Softmax" in ops or "If" in ops or "StatelessIf" in ops


def test_is_causal_without_a_mask_fails_as_in_torch() -> None:
    """torch refuses is_causal=True without attn_mask; the twin must not guess a mask."""
    import tensorflow as tf

    mha = twin_lib.MultiheadAttention(8, 2)
    x = tf.zeros((5, 2, 8))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)


def test_unknown_activation_fails_as_in_torch() -> None:
    with pytest.raises(RuntimeError, match="relu/gelu"):
        twin_lib.TransformerEncoderLayer(8, 2, activation="tanh")


USER_MODULE = '''import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)

    def forward(self, x, pad):
        h, w = self.attn(x, x, x, key_padding_mask=pad)
        if w.max() > 0.5:  # sharp attention somewhere: a tensor-dependent branch
            h = h * 2
        return self.norm(x + h), w.mean(dim=1)


block = Block()


def inputs():
    return (torch.randn(2, 5, 8), torch.tensor([[False] * 5, [False, False, False, True, True]]))


def forward(x, pad):
    return block(x, pad)
'''


def test_compare_attention_in_a_users_module() -> None:
    """A user's block: attention weights steer an ``if`` (an If op), then a layer norm."""
    result = twin.compare(USER_MODULE)
    assert result["status"] == "ok", result.get("message")
    assert result["equivalent"] is True, result["message"]
    assert "tf.reduce_max(w) > 0.5" in result["tf_code"]
    names = {row["name"] for row in result["grads"]}
    assert {"block.attn.in_proj_weight", "block.attn.out_proj.bias", "block.norm.weight"} <= names
