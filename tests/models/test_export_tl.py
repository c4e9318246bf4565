"""The TransformerLens export: weights under TL's layout reproduce the model's logits."""
from __future__ import annotations

import importlib.util
import math

import pytest
import torch

from rasplab.models import TrainConfig
from rasplab.models.export_tl import to_transformer_lens_state
from rasplab.models.train import build_model

from .toy import ToyTask


def _model(causal: bool = False):
    model, _, _ = build_model(ToyTask(), TrainConfig(d_model=32, n_heads=4, causal=causal))
    model.output_vocab = tuple("abcd")
    torch.manual_seed(0)
    with torch.no_grad():  # non-trivial biases and norms so that a layout slip shows
        for p in model.net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


def _ln(x, w, b):
    x = x - x.mean(-1, keepdim=True)
    return x / (x.pow(2).mean(-1, keepdim=True) + 1e-5).sqrt() * w + b


def _tl_forward(cfg: dict, sd: dict, ids: torch.Tensor) -> torch.Tensor:
    """TransformerLens's HookedTransformer maths, written out over its parameter names."""
    n = ids.shape[1]
    x = sd["embed.W_E"][ids] + sd["pos_embed.W_pos"][:n]
    for layer in range(cfg["n_layers"]):
        p = f"blocks.{layer}."
        h = _ln(x, sd[p + "ln1.w"], sd[p + "ln1.b"])
        q, k, v = (torch.einsum("bpd,hde->bphe", h, sd[p + f"attn.W_{c}"]) + sd[p + f"attn.b_{c}"]
                   for c in "QKV")
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(cfg["d_head"])
        if cfg["attention_dir"] == "causal":
            scores = scores.masked_fill(~torch.ones(n, n, dtype=torch.bool).tril(), -1e9)
        z = torch.einsum("bhqk,bkhe->bqhe", scores.softmax(-1), v)
        x = x + torch.einsum("bqhe,hed->bqd", z, sd[p + "attn.W_O"]) + sd[p + "attn.b_O"]
        h = _ln(x, sd[p + "ln2.w"], sd[p + "ln2.b"])
        mid = torch.nn.functional.gelu(h @ sd[p + "mlp.W_in"] + sd[p + "mlp.b_in"])
        x = x + mid @ sd[p + "mlp.W_out"] + sd[p + "mlp.b_out"]
    return _ln(x, sd["ln_final.w"], sd["ln_final.b"]) @ sd["unembed.W_U"] + sd["unembed.b_U"]


@pytest.mark.parametrize("causal", [False, True])
def test_tl_layout_reproduces_the_logits(causal: bool) -> None:
    model = _model(causal)
    ids = model.encode([list("abcad"), list("ddcba")])
    cfg, sd = to_transformer_lens_state(model)
    assert sd["blocks.0.attn.W_Q"].shape == (4, 32, 8)
    assert sd["blocks.1.attn.W_O"].shape == (4, 8, 32)
    with torch.no_grad():
        want = model.net(ids)
    assert torch.allclose(_tl_forward(cfg, sd, ids), want, atol=1e-5)


def _has_hooked_transformer() -> bool:
    if importlib.util.find_spec("transformer_lens") is None:
        return False
    try:
        from transformer_lens import HookedTransformer  # noqa: F401
    except ImportError:  # 4.0 removed it
        return False
    return True


@pytest.mark.skipif(not _has_hooked_transformer(),
                    reason="TransformerLens with HookedTransformer (transformer-lens<4) absent")
def test_hooked_transformer_gives_the_same_logits() -> None:
    from rasplab.models.export_tl import to_hooked_transformer

    model = _model()
    ids = model.encode([list("abcad"), list("ddcba")])
    tl = to_hooked_transformer(model)
    with torch.no_grad():
        got, cache = tl.run_with_cache(ids)
        want, patterns = model.net(ids, return_attention=True)
    assert torch.allclose(got, want, atol=1e-5)
    name = "blocks.1.attn.hook_pattern"
    assert torch.allclose(cache[name], patterns[name], atol=1e-5)


def test_a_model_exported_to_transformer_lens_reads_back_with_the_same_ids():
    """to_hooked_transformer then from_hooked_transformer answers what the model answers (the
    export's BOS at id 0 and tokens from id 2 travel with it; they used to be read as tokens at
    0..V-1 and BOS at V, shifting every token)."""
    import dataclasses

    from rasplab.distill.oracle import from_hooked_transformer
    from rasplab.models.export_tl import to_hooked_transformer

    model = _model()
    torch.manual_seed(1)
    # four output classes (an untrained model has one until training sizes it), with weights
    # large enough that the answers depend on the tokens
    model.net.cfg = dataclasses.replace(model.net.cfg, n_out=4)
    model.net.unembed = torch.nn.Linear(model.net.cfg.d_model, 4)
    with torch.no_grad():
        for p in model.net.parameters():
            p.add_(2.0 * torch.randn_like(p))
    oracle = from_hooked_transformer(to_hooked_transformer(model), vocab=model.vocab,
                                     output_vocab=model.output_vocab, max_len=5)
    inputs = [list(w) for w in ("abcda", "dcb", "a", "bbad", "ccccc", "dd", "badc")]
    want = model.predict(inputs)
    assert len({t for w in want for t in w}) > 1
    assert oracle(inputs) == want
