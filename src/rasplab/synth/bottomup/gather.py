"""Index maps read off the output: which position each query must fetch, as a function of its own.

For an aggregate target (a value that holds the output's values at some keys), query `i` of
every example may fetch any key holding its wanted value, or a position past the end where the
output is the aggregate's fill value. Intersecting those choices over the examples gives, for
each index, the positions that work everywhere; a permutation with parity (swap each pair,
swap each odd position with the next), a halving or any fixed index pattern then reads as
`select(indices, w, ==)` with `w` an arithmetic form of `indices` when one fits (`indices +
{0: 1, 1: -1}[indices % 2]`, `floor(indices / 2)`) and a table over `indices` otherwise.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from rasplab.lang.ast import Map, Node, SequenceMap, indices, length
from rasplab.lang.functions import SLOT0, SLOT1, SLOT2, Fn, binary, unary
from rasplab.synth.bottomup.values import Space

#: offsets tried for the parity form `indices + {0: d0, 1: d1}[indices % 2]`
OFFSETS = range(-3, 4)
#: divisors tried for `floor(indices / c)`
DIVISORS = (2, 3)


def _unseen(space: Space) -> np.ndarray:
    """(B, N, N) keys a query cannot select: past the input's end (or, causal, after it)."""
    n = space.N
    past = np.broadcast_to(np.arange(n)[None, None, :] >= space.lengths[:, None, None],
                           (space.B, n, n))
    if space.causal:
        past = past | (np.arange(n)[None, None, :] > np.arange(n)[None, :, None])
    return past


def consistent_keys(space: Space, allowed: np.ndarray, default_ok: np.ndarray) -> np.ndarray:
    """(N, N + 1) bool: for index i, the keys k (and N: "past the end") that give the right
    output at query i of every example long enough to have one."""
    past = _unseen(space)
    ext = np.where(past, default_ok[:, :, None], allowed)  # (B, N, N)
    ext = np.concatenate([ext, default_ok[:, :, None]], axis=2)  # column N: nothing selected
    ext |= ~space.valid[:, :, None]
    return ext.all(axis=0)


def index_map(space: Space, ok: np.ndarray) -> Node | None:
    """An s-op `w` of `indices` with `ok[i, col(w(i))]` for every index, or None. The
    arithmetic forms come first; the table over `indices` is the fallback."""
    n = space.N
    if not ok.any(axis=1).all():
        return None
    i = np.arange(n)

    def fits(w: np.ndarray) -> bool:
        col = np.where((w >= 0) & (w < n), w, n)
        return bool(ok[i, col].all())

    parity = sorted(((d0, d1) for d0 in OFFSETS for d1 in OFFSETS),
                    key=lambda d: (abs(d[0]) + abs(d[1]), d))
    for d0, d1 in parity:
        if d0 == d1 or not fits(i + np.where(i % 2 == 0, d0, d1)):
            continue
        step = Map(Fn.table({0: d0, 1: d1}), Map(Fn.of("mod", SLOT0, 2), indices))
        return SequenceMap(binary("add"), indices, step)
    for c in DIVISORS:
        if fits(i // c):
            return Map(unary("floor"), Map(Fn.of("div", SLOT0, c), indices))
    # a table: the key nearest the index among those that work
    picks: dict[int, Any] = {}
    for q in range(n):
        cols = np.nonzero(ok[q])[0]
        best = int(cols[np.argmin(np.abs(cols - q))])
        picks[q] = best if best < n else n
    if all(picks[q] == q for q in range(n)):
        return None  # every query fetches itself: no aggregate needed
    return Map(Fn.table(picks), indices)


def index_map_by_length(space: Space, allowed: np.ndarray, default_ok: np.ndarray
                        ) -> Node | None:
    """`w` as a table over `indices` per input length (`t_n[indices] if length == n else ...`),
    for index patterns that depend on the length (interleave with the reverse), or None."""
    n = space.N
    if space.causal:  # `length` is the prefix's there: no pattern of the whole length
        return None
    past = _unseen(space)
    ext = np.where(past, default_ok[:, :, None], allowed)
    ext = np.concatenate([ext, default_ok[:, :, None]], axis=2) | ~space.valid[:, :, None]
    tables: dict[int, dict[int, int]] = {}
    for size in sorted(set(space.lengths.tolist())):
        ok = ext[space.lengths == size].all(axis=0)[:size]
        if not ok.any(axis=1).all():
            return None
        tables[size] = {q: q for q in range(n)}  # (indices past the input are never read)
        for q in range(size):  # few examples per length: each pick must be the only one
            cols = np.nonzero(ok[q])[0]
            if len(cols) != 1:
                return None
            tables[size][q] = int(cols[0])
    if len(tables) < 2:
        return None
    lengths = sorted(tables)
    out: Node = Map(Fn.table(tables[lengths[-1]]), indices)
    for m in reversed(lengths[:-1]):
        cond = Map(Fn.of("eq", SLOT0, m), length)
        out = SequenceMap(Fn("ifelse", (SLOT0, SLOT1, SLOT2)),
                          Map(Fn.table(tables[m]), indices), cond, out)
    return out


__all__ = ["consistent_keys", "index_map", "index_map_by_length"]
