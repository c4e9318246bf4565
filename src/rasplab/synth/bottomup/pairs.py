"""Two-argument tables: two cheap s-ops with few values each whose pair determines the output.

`{...}[b] if a == v1 else ({...}[b] if a == v2 else ...)`: a `SequenceMap` over two
categorical s-ops (the token and the index parity, the token and the index) written with the
language's own operations, one table over `b` per value of `a`. The table's values are read off
all examples when it is checked; `finish` makes each branch total.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from rasplab.lang.ast import Map, Node, SequenceMap
from rasplab.lang.evaluator import evaluate
from rasplab.lang.functions import SLOT0, SLOT1, SLOT2, Fn
from rasplab.synth.bottomup.bank import Bank, Ref
from rasplab.synth.bottomup.candidate import Candidate
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.values import BOOL, Space, natural_order

#: each side of a pair table takes at most this many values on the search examples
MAX_VALUES = 8
#: at most this share of a pair table's keys may be seen at a single position
MAX_ONCE = 0.25
#: s-ops kept as first arguments (the cheapest found)
POOL = 32
#: positions looked at before all of them (cheap rejection)
HEAD = 24


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, P) values -> their ranks among each row's distinct values, the sort order, and where
    sorted neighbours are equal."""
    order = np.argsort(values, axis=1, kind="stable")
    xs = np.take_along_axis(values, order, axis=1)
    same = xs[:, 1:] == xs[:, :-1]
    ranks = np.concatenate([np.zeros((len(values), 1), dtype=np.int64),
                            np.cumsum(~same, axis=1)], axis=1)
    codes = np.empty_like(ranks)
    np.put_along_axis(codes, order, ranks, axis=1)
    return codes, order, same


def partition_prints(order: np.ndarray, same: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(m,) hashes of the partitions of positions into equal keys, from each row's stable sort
    `order` and where sorted neighbours are equal: a position is labelled by the first
    position of its group, so equal partitions hash equal whatever the key values."""
    m, p = order.shape
    start = np.concatenate([np.ones((m, 1), dtype=bool), ~same], axis=1)
    first = np.maximum.accumulate(np.where(start, np.arange(p)[None], 0), axis=1)
    label_sorted = np.take_along_axis(order, first, axis=1)
    label = np.empty_like(label_sorted)
    np.put_along_axis(label, order, label_sorted, axis=1)
    return (label.astype(np.uint64) * weights[None]).sum(axis=1)


def conflicts(keys: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(...,) whether equal keys (non-negative ints, (..., P)) meet different outputs `y`."""
    ny = int(y.max()) + 1
    joint = np.sort(keys * ny + y, axis=-1)
    k = joint // ny
    return ((k[..., 1:] == k[..., :-1]) & (joint[..., 1:] != joint[..., :-1])).any(axis=-1)


class PairTables:
    """Keeps a pool of cheap few-valued s-ops and proposes pair tables with new ones."""

    def __init__(self, space: Space, bank: Bank, grammar: Grammar, max_keys: int,
                 propose: Callable[[Candidate], None]):
        self.space, self.bank, self.grammar, self.propose = space, bank, grammar, propose
        self.max_keys = max_keys
        self.y = space.y_codes[space.valid]
        self.head = min(HEAD, len(self.y))
        self.pool: list[tuple[Ref, int, int]] = []  # (ref, cost, kind)
        self.pool_codes = np.zeros((0, len(self.y)), dtype=np.int64)
        self.seen: set[int] = set()
        rng = np.random.default_rng(space.B + 1)
        self._weights = rng.integers(1, 2**62, size=len(self.y), dtype=np.int64).astype(np.uint64)

    def check(self, kind: int, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        xv = values[:, self.space.valid]
        codes, _, _ = dense_codes(xv)
        count = codes.max(axis=1) + 1
        few = (count >= 2) & (count <= MAX_VALUES)
        # an s-op that determines the output alone is a one-argument table
        few &= conflicts(codes, self.y[None])
        rows = np.nonzero(few)[0]
        if not len(rows):
            return
        codes = codes[rows]
        if len(self.pool):
            self._pairs(kind, cost, codes, [refs[i] for i in rows.tolist()])
        room = POOL - len(self.pool)
        if room > 0:
            self.pool.extend((refs[i], cost, kind) for i in rows[:room].tolist())
            self.pool_codes = np.concatenate([self.pool_codes, codes[:room]])

    def _pairs(self, kind: int, cost: int, codes: np.ndarray, refs: list[Ref]) -> None:
        h, y = self.head, self.y
        both_bool = np.array([k == BOOL and kind == BOOL for _, _, k in self.pool])
        for s in range(0, len(codes), 64):
            new = codes[s: s + 64]
            keys = self.pool_codes[None, :, :h] * MAX_VALUES + new[:, None, :h]
            bad = conflicts(keys, y[None, None, :h]) | both_bool[None]
            cand = np.argwhere(~bad)
            if not len(cand):
                continue
            full = self.pool_codes[cand[:, 1]] * MAX_VALUES + new[cand[:, 0]]
            ok = ~conflicts(full, y[None])
            cand, full = cand[ok], full[ok]
            if not len(cand):
                continue
            kc, order, same = dense_codes(full)
            nkeys = kc.max(axis=1) + 1
            edge = np.ones((len(full), 1), dtype=bool)
            start = np.concatenate([edge, ~same, edge], axis=1)
            once = (start[:, :-1] & start[:, 1:]).sum(axis=1)
            prints = partition_prints(order, same, self._weights)
            w = self.grammar.cost("table.pair")
            for (i, f), n, n1, p in zip(cand.tolist(), nkeys.tolist(), once.tolist(),
                                        prints.tolist()):
                if n > self.max_keys or n1 > n * MAX_ONCE or p in self.seen:
                    continue
                self.seen.add(p)
                a_ref, a_cost, _ = self.pool[f]
                b_ref = refs[s + i]
                extra = max(0, n - self.grammar.table_free) // max(1, self.grammar.table_step)
                self.propose(Candidate(lambda a=a_ref, b=b_ref: (self.bank.node(a),
                                                                  self.bank.node(b)),
                                       cost + a_cost + w + extra, 1.0, "table2"))


def pair_table_program(a: Node, b: Node, inputs: Sequence[Sequence[Any]],
                       outputs: Sequence[Sequence[Any]], causal: bool = False) -> Node | None:
    """`table_v[b] if a == v else ...` over the values `v` of `a`, each table read off all
    examples (majority vote per pair; a pair never seen takes the most common output)."""
    try:
        va = evaluate(a, inputs, strict=False, causal=causal)
        vb = evaluate(b, inputs, strict=False, causal=causal)
    except Exception:
        return None
    votes: dict[tuple, Counter] = {}
    overall: Counter = Counter()
    a_count: Counter = Counter()
    b_values: dict[tuple, Any] = {}
    try:
        for ra, rb, out in zip(va, vb, outputs):
            for x, z, v in zip(ra, rb, out):
                key = (type(v).__name__, v)
                kx, kz = (type(x).__name__, x), (type(z).__name__, z)
                votes.setdefault((kx, kz), Counter())[key] += 1
                overall[key] += 1
                a_count[kx] += 1
                b_values[kz] = z
    except TypeError:  # unhashable values
        return None
    if not overall:
        return None
    common = overall.most_common(1)[0][0][1]
    a_keys = sorted(a_count, key=lambda k: natural_order(k[1]))
    last = a_count.most_common(1)[0][0]
    zs = sorted(b_values, key=lambda k: natural_order(k[1]))

    def branch(kx: tuple) -> Node:
        table = {b_values[kz]: (votes[(kx, kz)].most_common(1)[0][0][1] if (kx, kz) in votes
                                else common) for kz in zs}
        return Map(Fn.table(table), b)

    out = branch(last)
    for kx in reversed([k for k in a_keys if k != last]):
        x = kx[1]
        cond = a if x is True else Map(Fn.of("eq", SLOT0, x), a)
        out = SequenceMap(Fn("ifelse", (SLOT0, SLOT1, SLOT2)), branch(kx), cond, out)
    return out


__all__ = ["PairTables", "pair_table_program", "dense_codes", "partition_prints", "conflicts"]
