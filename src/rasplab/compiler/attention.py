"""Attention construction: a selector becomes a bilinear score, an aggregate or width a head.

Scores are 1 for selected keys, at most 0 for the others, and 1/2 for BOS, so with a large
softmax scale the selected keys share the attention equally and BOS takes it only when nothing
is selected (where the head then writes zero: the aggregate's default, represented implicitly).
"""
from __future__ import annotations

import numpy as np

from rasplab.compiler.residual import AttnOp, CatRep, Ctx, Lin, Space, lin_sum
from rasplab.lang.ast import Node

#: multiplies every score; BOS then gets exp(-SCALE/2) of a selected key's weight (~1e-22)
SCALE = 100.0
#: extra score of the BOS key for the BOS query, so BOS attends to itself (and writes ~0)
BOS_SELF = 1.0


def table_pairs(keys: CatRep, queries: CatRep, table: np.ndarray) -> list[tuple[Lin, Lin]]:
    """(query functional, key functional) pairs whose products sum to table[key value, query
    value]; keys (or queries) with identical rows share one pair, so the rank stays small."""
    by_keys: dict[bytes, list[int]] = {}
    for a in range(table.shape[0]):
        if table[a].any():
            by_keys.setdefault(table[a].tobytes(), []).append(a)
    by_queries: dict[bytes, list[int]] = {}
    for b in range(table.shape[1]):
        if table[:, b].any():
            by_queries.setdefault(table[:, b].tobytes(), []).append(b)
    pairs = []
    if len(by_keys) <= len(by_queries):
        for rows in by_keys.values():
            cols = np.nonzero(table[rows[0]])[0]
            pairs.append((lin_sum([queries.ind[b] for b in cols]),
                          lin_sum([keys.ind[a] for a in rows])))
    else:
        for cols in by_queries.values():
            rows = np.nonzero(table[:, cols[0]])[0]
            pairs.append((lin_sum([queries.ind[b] for b in cols]),
                          lin_sum([keys.ind[a] for a in rows])))
    return pairs


def conjunction(ctx: Ctx, parts: list[list[tuple[Lin, Lin]]]) -> list[tuple[Lin, Lin]]:
    """Scores of several 0/1 selectors added, minus (count - 1): 1 exactly when all select."""
    pairs = [p for part in parts for p in part]
    if len(parts) > 1:
        pairs.append((ctx.ONE * -(len(parts) - 1), ctx.NB))
    return pairs


def head(ctx: Ctx, label: str, node: Node, pairs: list[tuple[Lin, Lin]], ov: list[Lin],
         *, nonneg: bool, bos_score: float = 0.5, kind: str = "aggregate") -> AttnOp:
    """An attention head for the given score pairs writing the value functionals `ov`."""
    bos = (ctx.ONE * bos_score + Lin.of(ctx.bos) * BOS_SELF, Lin.of(ctx.bos))
    space = Space(label, len(ov), nonneg=nonneg)
    op = AttnOp(label, node, list(pairs) + [bos], list(ov), space, bos_score, kind)
    space.op = op
    return op
