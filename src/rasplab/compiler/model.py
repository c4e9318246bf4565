"""The compiled transformer: embeddings, attention + ReLU MLP blocks on a residual stream, and
an unembedding, with TransformerLens-style weight shapes and hook names.

Position 0 is a BOS token the compiler adds; `predict` adds it, runs, and decodes the outputs.
No layer norm: compiled weights rely on exact residual values. Runs in float64 by default.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import torch
from torch import nn

from rasplab.errors import ExamplesError
from rasplab.lang.values import value_key


@dataclass
class CompiledConfig:
    """Sizes and what the numbers mean: vocabulary, output decoding, the compiled program."""

    d_model: int
    n_layers: int
    n_heads: int
    d_head: int
    d_mlp: int
    vocab: list[Any]
    max_len: int
    output_kind: str  # "categorical" (argmax over output_values) or "numerical"
    output_values: list[Any] | None
    attn_scale: float = 1.0
    program: str | None = None
    layout: list[dict] = field(default_factory=list)
    #: attention sees only keys at or before each query (BOS, at position 0, stays visible)
    causal: bool = False

    @property
    def n_vocab(self) -> int:
        return len(self.vocab) + 1  # BOS is the last id

    @property
    def n_ctx(self) -> int:
        return self.max_len + 1

    @property
    def d_out(self) -> int:
        return len(self.output_values) if self.output_kind == "categorical" else 1  # type: ignore

    def to_dict(self) -> dict:
        return asdict(self)


class Attention(nn.Module):
    """Multi-head attention, bidirectional or causal; W_Q/W_K/W_V (heads, d_model, d_head), W_O
    (heads, d_head, d_model), as TransformerLens stores them."""

    def __init__(self, cfg: CompiledConfig, dtype: torch.dtype):
        super().__init__()
        shape = (cfg.n_heads, cfg.d_model, cfg.d_head)
        self.W_Q = nn.Parameter(torch.zeros(shape, dtype=dtype))
        self.W_K = nn.Parameter(torch.zeros(shape, dtype=dtype))
        self.W_V = nn.Parameter(torch.zeros(shape, dtype=dtype))
        self.W_O = nn.Parameter(torch.zeros((cfg.n_heads, cfg.d_head, cfg.d_model), dtype=dtype))
        self.scale = cfg.attn_scale
        self.causal = cfg.causal

    def forward(self, x: torch.Tensor, cache: dict | None, prefix: str) -> torch.Tensor:
        q = torch.einsum("bpd,hde->bhpe", x, self.W_Q)
        k = torch.einsum("bpd,hde->bhpe", x, self.W_K)
        v = torch.einsum("bpd,hde->bhpe", x, self.W_V)
        scores = torch.einsum("bhqe,bhke->bhqk", q, k) * self.scale
        if self.causal:
            n = x.shape[1]
            future = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        pattern = torch.softmax(scores, dim=-1)
        if cache is not None:
            cache[prefix + "attn.hook_pattern"] = pattern
        z = torch.einsum("bhqk,bhke->bhqe", pattern, v)
        return torch.einsum("bhqe,hed->bqd", z, self.W_O)


class MLP(nn.Module):
    """ReLU MLP without biases: constants come from the residual's always-one dimension."""

    def __init__(self, cfg: CompiledConfig, dtype: torch.dtype):
        super().__init__()
        self.W_in = nn.Parameter(torch.zeros((cfg.d_model, cfg.d_mlp), dtype=dtype))
        self.W_out = nn.Parameter(torch.zeros((cfg.d_mlp, cfg.d_model), dtype=dtype))

    def forward(self, x: torch.Tensor, cache: dict | None, prefix: str) -> torch.Tensor:
        h = torch.relu(x @ self.W_in)
        if cache is not None:
            cache[prefix + "mlp.hook_post"] = h
        return h @ self.W_out


class Block(nn.Module):
    def __init__(self, cfg: CompiledConfig, dtype: torch.dtype):
        super().__init__()
        self.attn = Attention(cfg, dtype)
        self.mlp = MLP(cfg, dtype)

    def forward(self, x: torch.Tensor, cache: dict | None, prefix: str) -> torch.Tensor:
        if cache is not None:
            cache[prefix + "hook_resid_pre"] = x
        x = x + self.attn(x, cache, prefix)
        if cache is not None:
            cache[prefix + "hook_resid_mid"] = x
        x = x + self.mlp(x, cache, prefix)
        if cache is not None:
            cache[prefix + "hook_resid_post"] = x
        return x


class CompiledTransformer(nn.Module):
    """A transformer whose weights compute a RASP program exactly (see `rasplab.compiler`)."""

    def __init__(self, cfg: CompiledConfig, dtype: torch.dtype = torch.float64):
        super().__init__()
        self.cfg = cfg
        self.W_E = nn.Parameter(torch.zeros((cfg.n_vocab, cfg.d_model), dtype=dtype))
        self.W_pos = nn.Parameter(torch.zeros((cfg.n_ctx, cfg.d_model), dtype=dtype))
        self.blocks = nn.ModuleList(Block(cfg, dtype) for _ in range(cfg.n_layers))
        self.W_U = nn.Parameter(torch.zeros((cfg.d_model, cfg.d_out), dtype=dtype))

    @property
    def vocab(self) -> list[Any]:
        return list(self.cfg.vocab)

    @property
    def bos_id(self) -> int:
        return len(self.cfg.vocab)

    def forward(self, token_ids: torch.Tensor, cache: dict | None = None,
                return_residual: bool = False) -> torch.Tensor:
        """Token ids (batch, pos) with BOS at position 0 -> output logits (batch, pos, d_out),
        or the final residual stream (batch, pos, d_model) with `return_residual`; pass a dict
        as `cache` to collect activations under TransformerLens hook names."""
        n = token_ids.shape[1]
        x = self.W_E[token_ids] + self.W_pos[:n][None]
        if cache is not None:
            cache["hook_embed"], cache["hook_pos_embed"] = self.W_E[token_ids], self.W_pos[:n]
        for i, block in enumerate(self.blocks):
            x = block(x, cache, f"blocks.{i}.")
        return x if return_residual else x @ self.W_U

    def encode(self, inputs: Sequence[Sequence[Any] | str]) -> torch.Tensor:
        """Inputs of one length as token ids with BOS prepended."""
        index = {value_key(t): i for i, t in enumerate(self.cfg.vocab)}
        rows = []
        for x in inputs:
            seq = list(x)
            if not seq or len(seq) > self.cfg.max_len:
                raise ExamplesError(f"input {x!r} has length {len(seq)}; the model takes 1 to "
                                   f"{self.cfg.max_len} tokens")
            try:
                rows.append([self.bos_id] + [index[value_key(t)] for t in seq])
            except KeyError as exc:
                raise ExamplesError(f"token {exc.args[0][1]!r} of input {x!r} is not in the "
                                   f"model's vocabulary {self.cfg.vocab}") from None
        return torch.tensor(rows, dtype=torch.long)

    def decode(self, logits: torch.Tensor) -> list[list[Any]]:
        """Logits (batch, pos, d_out) without the BOS position -> output values."""
        if self.cfg.output_kind == "categorical":
            best = logits.argmax(dim=-1).tolist()
            return [[self.cfg.output_values[i] for i in row] for row in best]  # type: ignore
        values = logits[..., 0].tolist()
        known = self.cfg.output_values
        if known:  # snap to the exact value the interpreter holds (ints stay ints)
            import bisect
            floats = [float(v) for v in known]
            order = sorted(range(len(known)), key=lambda i: floats[i])
            sorted_f = [floats[i] for i in order]

            def snap(y: float) -> Any:
                j = bisect.bisect_left(sorted_f, y)
                for c in (j - 1, j):
                    if 0 <= c < len(sorted_f) and abs(sorted_f[c] - y) <= 1e-9 * max(1, abs(y)):
                        return known[order[c]]
                return y
            return [[snap(y) for y in row] for row in values]
        return values

    @torch.no_grad()
    def predict(self, inputs: Sequence[Sequence[Any] | str], return_patterns: bool = False
                ) -> list[list[Any]] | tuple[list[list[Any]], list[dict[str, Any]]]:
        """Run the transformer on each input; outputs decoded to program values. With
        `return_patterns`, also per input {"blocks.L.attn.hook_pattern": (heads, n+1, n+1)}."""
        outputs: list[Any] = [None] * len(inputs)
        patterns: list[Any] = [None] * len(inputs)
        by_len: dict[int, list[int]] = {}
        for i, x in enumerate(inputs):
            by_len.setdefault(len(x), []).append(i)
        for n, idx in by_len.items():
            ids = self.encode([inputs[i] for i in idx])
            cache: dict | None = {} if return_patterns else None
            logits = self(ids, cache)
            decoded = self.decode(logits[:, 1:])
            for row, i in enumerate(idx):
                outputs[i] = decoded[row]
                if cache is not None:
                    patterns[i] = {k: v[row].numpy() for k, v in cache.items()
                                   if k.endswith("hook_pattern")}
        return (outputs, patterns) if return_patterns else outputs

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
