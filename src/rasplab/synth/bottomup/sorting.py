"""Sorting as a last step: when the output is the input reordered, find the key it is sorted by.

RASP sorts with one idiom (the RASP paper's `sort`): each position counts the keys that must go
before it, `selector_width(select(key, key, <) or (select(key, key, ==) and select(indices,
indices, <)))`, and the output gathers the value whose count equals its index. Written out in
primitives that is nine nodes above the key, too deep to enumerate; inverted from the output it is
a cheap check of each new key value: sort the search examples by it (stably, either way round)
and compare with the output. A second form keeps only each token's first occurrence and pads
with a filler (`most_freq`'s shape). The program returned is the idiom in plain primitives.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable

import numpy as np

from rasplab.lang.ast import (
    CATEGORICAL,
    Aggregate,
    Full,
    Map,
    Node,
    Select,
    SelectorWidth,
    indices,
    tokens,
)
from rasplab.lang.functions import EQ, GT, LT, SLOT0, Fn
from rasplab.lang.values import value_key
from rasplab.synth.bottomup.bank import Bank, Ref
from rasplab.synth.bottomup.candidate import Candidate
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.values import CAT, NUM, TOL, Space

PREFILTER = 4
#: half of the first examples must sort right for a key to be looked at on all of them
PREFILTER_PASS = 0.5 - 1e-9
#: a key that sorts fewer of the search examples right is not worth proposing
MIN_ACCURACY = 0.5


class SortGoal:
    """Recognises keys that sort the tokens into the output (or its distinct tokens + filler)."""

    def __init__(self, space: Space, bank: Bank, grammar: Grammar,
                 propose: Callable[[Candidate], None],
                 threshold: Callable[[], float] = lambda: 1e-9):
        self.space, self.bank, self.grammar, self.propose = space, bank, grammar, propose
        #: the search accuracy a proposal must reach (the goal's, which the driver raises)
        self.threshold = threshold
        self.mode: str | None = None
        self.filler: Any = None
        sp = space
        pairs = list(zip(sp.inputs, sp.outputs))
        reordered = np.mean([Counter(map(value_key, x)) == Counter(map(value_key, y))
                             for x, y in pairs]) >= 0.75
        if reordered and any(list(x) != list(y) for x, y in pairs):
            self.mode = "sort"
            self.keep = sp.valid
        else:
            self._try_unique(pairs)
        if self.mode is None:
            return
        self.tok = sp.tokens  # (B, N) in the token kind's encoding
        self.want = sp.y[sp.token_kind]
        if self.mode == "unique":
            distinct = np.array([len({value_key(t) for t in x}) for x in sp.inputs])
            self.check_mask = np.arange(sp.N)[None, :] < distinct[:, None]
        else:
            self.check_mask = sp.valid
        if np.isnan(self.want[self.check_mask]).any():
            self.mode = None

    def _try_unique(self, pairs: list) -> None:
        fillers: Counter = Counter()
        fit = 0
        for x, y in pairs:
            seen = list(dict.fromkeys(map(value_key, x)))
            head = [value_key(v) for v in y[: len(seen)]]
            tail = {value_key(v) for v in y[len(seen):]}
            if sorted(head, key=repr) == sorted(seen, key=repr) and len(tail) <= 1:
                fit += 1
                fillers.update(tail)
        if fit < 0.75 * len(pairs) or not fillers:  # a model's few mistakes are tolerated
            return
        filler = fillers.most_common(1)[0][0]
        if any(filler in {value_key(t) for t in x} for x, _ in pairs):
            return
        self.mode, self.filler = "unique", filler[1]
        sp = self.space
        first = np.zeros_like(sp.valid)
        for b, x in enumerate(sp.inputs):
            seen: set = set()
            for i, t in enumerate(x):
                if value_key(t) not in seen:
                    first[b, i] = True
                    seen.add(value_key(t))
        self.keep = first

    # --- checks ---------------------------------------------------------------------------
    def check(self, kind: int, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        """Propose a sort for every new key value (NUM or CAT) that orders tokens into y."""
        if self.mode is None or kind not in (NUM, CAT):
            return
        for descending in (False, True):
            part = slice(0, PREFILTER)
            small = self._sorts(values[:, part], descending, part).mean(axis=1)
            rows = np.nonzero(small >= PREFILTER_PASS)[0]
            if not len(rows):
                continue
            accs = self._sorts(values[rows], descending, slice(None)).mean(axis=1)
            w = self.idiom_cost()
            # noisy labels (a model's mistakes) leave a few examples unsorted: propose the best
            for j in np.nonzero(accs >= max(self.threshold(), MIN_ACCURACY))[0].tolist():
                ref = refs[int(rows[j])]
                self.propose(Candidate(
                    lambda ref=ref, d=descending: self.program(self.bank.node(ref), d),
                    cost + w, float(accs[j]), "direct"))

    def _sorts(self, v: np.ndarray, descending: bool, part: slice) -> np.ndarray:
        """(m, b) whether stably sorting tokens by each key gives the output, per example."""
        keep = self.keep[part]
        key = np.where(keep, -v if descending else v, np.inf)
        order = np.argsort(key, axis=2, kind="stable")
        tok = np.broadcast_to(self.tok[part], v.shape)
        got = np.take_along_axis(tok, order, axis=2)
        want, mask = self.want[part], self.check_mask[part]
        return ((np.abs(got - want) <= TOL) | ~mask).all(axis=2)

    def idiom_cost(self) -> int:
        g = self.grammar
        cost = (3 * g.cost("select") + g.cost("and") + g.cost("or") + g.cost("selector_width")
                + g.cost("select") + g.cost("aggregate.cat"))
        if self.mode == "unique":
            cost += (2 * g.cost("select") + g.cost("and") + g.cost("selector_width")
                     + g.cost("map.eq") + 2 * g.cost("and"))
        return cost

    # --- the program ----------------------------------------------------------------------
    def program(self, key: Node, descending: bool) -> Node:
        """The RASP sort idiom over `key` (only first occurrences, padded, in unique mode)."""
        earlier = Select(indices, indices, LT)
        before = Select(key, key, GT if descending else LT) | (Select(key, key, EQ) & earlier)
        before = before.named("goes_before")
        if self.mode == "unique":
            repeats = SelectorWidth(Select(tokens, tokens, EQ) & earlier).named("earlier_copies")
            first = Map(Fn.of("eq", SLOT0, 0), repeats).named("is_first")
            firsts = Select(first, Full(True), EQ).named("first_copies")
            place = SelectorWidth(before & firsts).named("sorted_pos")
            return Aggregate(Select(place, indices, EQ) & firsts, tokens, self.filler,
                             encoding=CATEGORICAL)
        place = SelectorWidth(before).named("sorted_pos")
        return Aggregate(Select(place, indices, EQ), tokens, None, encoding=CATEGORICAL)
