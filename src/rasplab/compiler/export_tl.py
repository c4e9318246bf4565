"""Export a compiled transformer to TransformerLens (`HookedTransformer`, TransformerLens < 4),
an optional extra: `pip install "transformer-lens<4"` (rasplab[tl])."""
from __future__ import annotations

import warnings
from typing import Any

import torch

from rasplab.compiler.model import CompiledTransformer
from rasplab.errors import CompileError


def to_hooked_transformer(model: CompiledTransformer) -> Any:
    """The same weights in a `HookedTransformer` (no layer norm, ReLU MLPs, attention
    bidirectional or causal as compiled, no 1/sqrt(d_head) scaling); token ids and outputs are
    the compiled model's."""
    try:
        from transformer_lens import HookedTransformer, HookedTransformerConfig
    except ImportError as exc:
        raise CompileError("TransformerLens export needs `pip install \"transformer-lens<4\"` "
                           f"({exc})") from None
    cfg = model.cfg
    dtype = model.W_E.dtype
    tl_cfg = HookedTransformerConfig(
        n_layers=cfg.n_layers, d_model=cfg.d_model, n_ctx=cfg.n_ctx, d_head=cfg.d_head,
        n_heads=cfg.n_heads, d_mlp=cfg.d_mlp, d_vocab=cfg.n_vocab, d_vocab_out=cfg.d_out,
        act_fn="relu", normalization_type=None,
        attention_dir="causal" if cfg.causal else "bidirectional",
        use_attn_scale=False, positional_embedding_type="standard", default_prepend_bos=False,
        dtype=dtype, device="cpu", seed=0)
    with warnings.catch_warnings():  # 3.x warns that 4.0 replaces HookedTransformer
        warnings.simplefilter("ignore", DeprecationWarning)
        hooked = HookedTransformer(tl_cfg)
    zeros = torch.zeros
    state: dict[str, torch.Tensor] = {
        "embed.W_E": model.W_E.detach().clone(),
        "pos_embed.W_pos": model.W_pos.detach().clone(),
        "unembed.W_U": model.W_U.detach().clone(),
        "unembed.b_U": zeros(cfg.d_out, dtype=dtype),
    }
    for i, block in enumerate(model.blocks):
        p = f"blocks.{i}."
        for name in ("W_Q", "W_K", "W_V", "W_O"):
            state[p + "attn." + name] = getattr(block.attn, name).detach().clone()
        for name in ("b_Q", "b_K", "b_V"):
            state[p + "attn." + name] = zeros(cfg.n_heads, cfg.d_head, dtype=dtype)
        state[p + "attn.b_O"] = zeros(cfg.d_model, dtype=dtype)
        state[p + "mlp.W_in"] = block.mlp.W_in.detach().clone()
        state[p + "mlp.b_in"] = zeros(cfg.d_mlp, dtype=dtype)
        state[p + "mlp.W_out"] = block.mlp.W_out.detach().clone()
        state[p + "mlp.b_out"] = zeros(cfg.d_model, dtype=dtype)
    missing, unexpected = hooked.load_state_dict(state, strict=False)
    weights = [k for k in missing if not k.endswith(("IGNORE", "mask"))]
    if weights or unexpected:
        raise CompileError(f"TransformerLens export: weights not matched: {weights or unexpected}")
    hooked.eval()
    return hooked
