"""Export a trained model to TransformerLens: its config and weights under TL's names and shapes.

`to_transformer_lens_state` needs no TransformerLens; `to_hooked_transformer` builds a
`HookedTransformer` (TransformerLens 2.x and 3.x; 4.0 removed that class). Feed it
`model.encode(inputs)` ids (BOS at 0, same-length inputs, since TL does not mask our padding).
"""
from __future__ import annotations

import warnings
from typing import Any

import torch

from rasplab.models.trained import TrainedModel
from rasplab.models.transformer import BOS, PAD


def tl_config(model: TrainedModel) -> dict[str, Any]:
    """Keyword arguments of TransformerLens's HookedTransformerConfig for this model."""
    cfg = model.net.cfg
    return {"n_layers": cfg.n_layers, "d_model": cfg.d_model, "n_ctx": cfg.n_ctx,
            "d_head": cfg.d_head, "n_heads": cfg.n_heads, "d_mlp": cfg.d_mlp,
            "d_vocab": cfg.n_tokens, "d_vocab_out": cfg.n_out, "act_fn": cfg.act_fn,
            "normalization_type": "LN", "positional_embedding_type": "standard",
            "attention_dir": "causal" if cfg.causal else "bidirectional",
            "default_prepend_bos": False, "eps": 1e-5}


def to_transformer_lens_state(model: TrainedModel) -> tuple[dict[str, Any],
                                                              dict[str, torch.Tensor]]:
    """(HookedTransformerConfig kwargs, state dict with TransformerLens parameter names)."""
    net, cfg = model.net, model.net.cfg
    h, dh, d = cfg.n_heads, cfg.d_head, cfg.d_model
    sd: dict[str, torch.Tensor] = {
        "embed.W_E": net.embed.weight, "pos_embed.W_pos": net.pos_embed.weight,
        "ln_final.w": net.ln_final.weight, "ln_final.b": net.ln_final.bias,
        "unembed.W_U": net.unembed.weight.T, "unembed.b_U": net.unembed.bias,
    }
    for layer, block in enumerate(net.blocks):
        p = f"blocks.{layer}."
        w = block.attn.qkv.weight.view(3, h, dh, d).transpose(-1, -2)  # (3, heads, d, dh)
        b = block.attn.qkv.bias.view(3, h, dh)
        for i, name in enumerate("QKV"):
            sd[p + f"attn.W_{name}"], sd[p + f"attn.b_{name}"] = w[i], b[i]
        sd[p + "attn.W_O"] = block.attn.out.weight.T.reshape(h, dh, d)
        sd[p + "attn.b_O"] = block.attn.out.bias
        sd[p + "ln1.w"], sd[p + "ln1.b"] = block.ln1.weight, block.ln1.bias
        sd[p + "ln2.w"], sd[p + "ln2.b"] = block.ln2.weight, block.ln2.bias
        sd[p + "mlp.W_in"], sd[p + "mlp.b_in"] = block.mlp.fc_in.weight.T, block.mlp.fc_in.bias
        sd[p + "mlp.W_out"] = block.mlp.fc_out.weight.T
        sd[p + "mlp.b_out"] = block.mlp.fc_out.bias
    return tl_config(model), {k: v.detach().clone().contiguous() for k, v in sd.items()}


def token_ids(model: TrainedModel) -> list[Any]:
    """The exported model's input tokens in id order (`"<bos>"`, `"<pad>"` where the model keeps
    them): what `rasplab distill --tokens` and `from_hooked_transformer` read the ids with."""
    names: list[Any] = [None] * model.net.cfg.n_tokens
    names[BOS], names[PAD] = "<bos>", "<pad>"
    for t in model.vocab:
        names[model.token_id(t)] = t
    return [f"<unused{i}>" if t is None else t for i, t in enumerate(names)]


def to_hooked_transformer(model: TrainedModel) -> Any:
    """A TransformerLens HookedTransformer with this model's weights (needs transformer-lens<4)."""
    try:
        from transformer_lens import HookedTransformer, HookedTransformerConfig
    except ImportError as exc:
        raise ImportError("exporting needs TransformerLens with HookedTransformer "
                          f"(transformer-lens<4): {exc}") from exc
    kwargs, state = to_transformer_lens_state(model)
    with warnings.catch_warnings():  # 3.x warns that the class goes away in 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        tl = HookedTransformer(HookedTransformerConfig(**kwargs))
    missing, unexpected = tl.load_state_dict(state, strict=False)
    # TL keeps its masks and constants as buffers; every weight must have been filled
    absent = [k for k in missing if not k.endswith(("mask", "IGNORE"))]
    if absent or unexpected:
        raise RuntimeError(f"TransformerLens layout changed: missing {absent}, extra {unexpected}")
    # the id convention travels with the model: `from_hooked_transformer` reads it back
    tl.rasplab_tokens = token_ids(model)
    tl.rasplab_outputs = list(model.output_vocab)
    return tl.eval()
