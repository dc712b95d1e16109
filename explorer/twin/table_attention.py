"""The twin's table rows for torch.nn's attention: MultiheadAttention and the Transformer
modules (runtime in ``explorer.twin.lib_attention``), scaled_dot_product_attention,
multi_head_attention_forward and the causal mask helper. Pure text, like ``table``."""
from __future__ import annotations

from explorer.twin.rules import Rule

CLASSES: tuple[str, ...] = ("MultiheadAttention", "TransformerEncoderLayer",
                            "TransformerEncoder", "TransformerDecoderLayer",
                            "TransformerDecoder", "Transformer")

_SDPA = Rule("query, key, value, attn_mask=None, dropout_p=None, is_causal=None, *, scale=None, "
             "enable_gqa=None", "tt.scaled_dot_product_attention({query}, {key}, {value}"
             "<, attn_mask={attn_mask}><, dropout_p={dropout_p}><, is_causal={is_causal}>"
             "<, scale={scale}><, enable_gqa={enable_gqa}>)")
_MHA_FORWARD = (
    "query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, "
    "bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=None, "
    "key_padding_mask=None, need_weights=None, attn_mask=None, use_separate_proj_weight=None, "
    "q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None, "
    "average_attn_weights=None, is_causal=None")
_MASK = Rule("sz, device=None, dtype=None", "tt.generate_square_subsequent_mask({sz}"
                                            "<, dtype={dtype}>)")


def _passing_all(spec: str, function: str) -> Rule:
    """A rule that passes the required arguments on by position, the optional ones (those
    with a default) by keyword, where given."""
    params = [p.strip().partition("=") for p in spec.split(",")]
    required = ", ".join(f"{{{name}}}" for name, has_default, _ in params if not has_default)
    optional = "".join(f"<, {name}={{{name}}}>" for name, has_default, _ in params
                       if has_default)
    return Rule(spec, f"{function}({required}{optional})")


FUNCTIONS: dict[str, tuple[Rule, ...]] = {
    "torch.nn.functional.scaled_dot_product_attention": (_SDPA,),
    "torch.nn.functional.multi_head_attention_forward": (
        _passing_all(_MHA_FORWARD, "tt.multi_head_attention_forward"),),
    "torch.nn.Transformer.generate_square_subsequent_mask": (_MASK,),
}
METHODS: dict[str, tuple[Rule, ...]] = {}
