"""A small transformer encoder, read top to bottom: embeddings, attention, MLP, block, model.

Position 0 of every sequence is BOS; padding (id PAD) sits after the input and is never attended
to. Attention patterns come back on request under TransformerLens names
(`blocks.{l}.attn.hook_pattern`, shape (batch, heads, query, key), BOS included).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from rasplab.models.config import TransformerConfig

BOS, PAD = 0, 1  # reserved input ids; the task's tokens start at 2


class Attention(nn.Module):
    """Multi-head self-attention; padded keys (and future keys when causal) are masked out."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.n_heads, self.d_head = cfg.n_heads, cfg.d_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.n_heads * cfg.d_head)
        self.out = nn.Linear(cfg.n_heads * cfg.d_head, cfg.d_model)
        self.causal = cfg.causal

    def forward(self, x: torch.Tensor, key_ok: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)  # (b, heads, query, key)
        allowed = key_ok[:, None, None, :]
        if self.causal:
            allowed = allowed & torch.ones(n, n, dtype=torch.bool, device=x.device).tril()
        pattern = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)
        z = (pattern @ v).transpose(1, 2).reshape(b, n, self.n_heads * self.d_head)
        return self.out(z), pattern


class MLP(nn.Module):
    """Position-wise two-layer perceptron."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.fc_in = nn.Linear(cfg.d_model, cfg.d_mlp)
        self.fc_out = nn.Linear(cfg.d_mlp, cfg.d_model)
        self.act = F.gelu if cfg.act_fn == "gelu" else F.relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_out(self.act(self.fc_in(x)))


class Block(nn.Module):
    """Pre-LayerNorm residual block: x + attn(ln1(x)), then + mlp(ln2(x))."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.ln1, self.attn = nn.LayerNorm(cfg.d_model), Attention(cfg)
        self.ln2, self.mlp = nn.LayerNorm(cfg.d_model), MLP(cfg)

    def forward(self, x: torch.Tensor, key_ok: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, pattern = self.attn(self.ln1(x), key_ok)
        x = x + a
        return x + self.mlp(self.ln2(x)), pattern


class Transformer(nn.Module):
    """Token + position embeddings, `n_layers` blocks, final LayerNorm, per-position classifier."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.n_tokens, cfg.d_model)
        self.pos_embed = nn.Embedding(cfg.n_ctx, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_final = nn.LayerNorm(cfg.d_model)
        self.unembed = nn.Linear(cfg.d_model, cfg.n_out)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, ids: torch.Tensor, return_attention: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits (batch, n, n_out) for ids (batch, n) that start with BOS; patterns on request."""
        n = ids.shape[1]
        if n > self.cfg.n_ctx:
            raise ValueError(f"sequence of {n} positions exceeds the model's {self.cfg.n_ctx}")
        key_ok = ids != PAD
        x = self.embed(ids) + self.pos_embed.weight[:n]
        patterns: dict[str, torch.Tensor] = {}
        for layer, block in enumerate(self.blocks):
            x, pattern = block(x, key_ok)
            patterns[f"blocks.{layer}.attn.hook_pattern"] = pattern
        logits = self.unembed(self.ln_final(x))
        return (logits, patterns) if return_attention else logits
