"""Pass 5: assembly — functionals and ops become the weight tensors of a CompiledTransformer.

Heads of a layer are stacked (zero-padded to a common head size), MLP units of a layer are
concatenated, and every MLP unit but the clearing ones gets a BOS weight that keeps it off at BOS.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from rasplab.compiler.attention import SCALE
from rasplab.compiler.layers import Layout
from rasplab.compiler.lower import Lowered
from rasplab.compiler.model import CompiledConfig, CompiledTransformer
from rasplab.compiler.residual import AttnOp, CatRep, MLPOp


def _gate(vec: np.ndarray) -> np.ndarray:
    """Add a BOS weight so the unit's pre-activation is <= -1 at BOS, whatever the residual
    holds there (every dimension but `one` and `bos` is within [-1, 1] at BOS)."""
    worst = vec[0] + vec[1] + np.abs(vec[2:]).sum()
    if worst > -1.0:
        vec = vec.copy()
        vec[1] -= worst + 1.0
    return vec


def _layout_rows(layout: Layout) -> list[dict]:
    rows, heads = [], {}
    for op in sorted(layout.ops, key=lambda o: o.sublayer):
        layer = op.sublayer // 2
        row = {"layer": layer, "label": op.label, "kind": op.kind,
               "node": type(op.node).__name__ if op.node is not None else None}
        if isinstance(op, AttnOp):
            row["block"] = "attn"
            row["head"] = heads[layer] = heads.get(layer, -1) + 1
        else:
            row["block"] = "mlp"
            row["units"] = len(op.units)
        rows.append(row)
    return rows


def assemble(lowered: Lowered, layout: Layout, output_values: list[Any] | None,
             program_text: str | None = None,
             dtype: torch.dtype = torch.float64, *, causal: bool = False
             ) -> CompiledTransformer:
    """Build the module and fill in its weights (`causal`: causally masked attention)."""
    d = max(layout.d_model, 2)
    n_layers = layout.n_layers
    attn = [[op for op in layout.ops if isinstance(op, AttnOp) and op.sublayer // 2 == layer]
            for layer in range(n_layers)]
    mlps = [[op for op in layout.ops if isinstance(op, MLPOp) and op.sublayer // 2 == layer]
            for layer in range(n_layers)]
    n_heads = max([len(h) for h in attn] + [1])
    d_head = max([max(len(op.qk), len(op.ov)) for h in attn for op in h] + [1])
    d_mlp = max([sum(len(op.units) for op in m) for m in mlps] + [1])
    out = lowered.output
    cat = isinstance(out, CatRep)
    cfg = CompiledConfig(d, n_layers, n_heads, d_head, d_mlp, list(lowered.vocab),
                         lowered.max_len, "categorical" if cat else "numerical",
                         list(out.values) if cat else output_values,  # type: ignore[union-attr]
                         program=program_text, layout=_layout_rows(layout), causal=causal)
    model = CompiledTransformer(cfg, dtype)

    ctx = lowered.ctx
    W_E = np.zeros((cfg.n_vocab, d))
    W_E[:, ctx.one.dims[0]] = 1.0  # type: ignore[index]
    W_E[-1, ctx.bos.dims[0]] = 1.0  # type: ignore[index]
    for i in range(1, len(lowered.vocab)):
        if lowered.tokens.dims:
            W_E[i, lowered.tokens.dims[i - 1]] = 1.0
    W_pos = np.zeros((cfg.n_ctx, d))
    if lowered.indices is not None and lowered.indices.dims:
        for p in range(2, cfg.n_ctx):  # position p holds index p-1; index 0 is implicit
            W_pos[p, lowered.indices.dims[p - 2]] = 1.0

    blocks = []
    for layer in range(n_layers):
        W_Q, W_K = np.zeros((n_heads, d, d_head)), np.zeros((n_heads, d, d_head))
        W_V, W_O = np.zeros((n_heads, d, d_head)), np.zeros((n_heads, d_head, d))
        for h, op in enumerate(attn[layer]):
            for j, (q, k) in enumerate(op.qk):
                W_Q[h, :, j] = q.vector(d) * SCALE
                W_K[h, :, j] = k.vector(d)
            for j, v in enumerate(op.ov):
                W_V[h, :, j] = v.vector(d)
                W_O[h, j, op.out.dims[j]] = 1.0  # type: ignore[index]
        W_in, W_out = np.zeros((d, d_mlp)), np.zeros((d_mlp, d))
        col = 0
        for op in mlps[layer]:
            for u, lin in enumerate(op.units):
                vec = lin.vector(d)
                W_in[:, col] = _gate(vec) if op.gated[u] else vec
                W_out[col, op.out.dims] += op.w_out[u]  # type: ignore[index]
                col += 1
        blocks.append((W_Q, W_K, W_V, W_O, W_in, W_out))

    if cat:
        W_U = np.stack([ind.vector(d) for ind in out.ind], axis=1)  # type: ignore[union-attr]
    else:
        W_U = out.lin.vector(d)[:, None]  # type: ignore[union-attr]

    def put(param: torch.nn.Parameter, value: np.ndarray) -> None:
        param.data = torch.tensor(value, dtype=dtype)

    with torch.no_grad():
        put(model.W_E, W_E)
        put(model.W_pos, W_pos)
        put(model.W_U, W_U)
        for block, (W_Q, W_K, W_V, W_O, W_in, W_out) in zip(model.blocks, blocks):
            put(block.attn.W_Q, W_Q)
            put(block.attn.W_K, W_K)
            put(block.attn.W_V, W_V)
            put(block.attn.W_O, W_O)
            put(block.mlp.W_in, W_in)
            put(block.mlp.W_out, W_out)
    return model
