"""Cost-ordered bottom-up enumeration: every production applied to bank entries, level by level.

At cost c each production of weight w combines entries whose costs sum to c - w, whole levels at
a time as numpy broadcasts (one array operation yields thousands of candidates), in chunks that
bound memory. New distinct values go to the bank and straight to the goal checks.
"""
from __future__ import annotations

import itertools
import time
from typing import Any, Callable

import numpy as np

from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    Full,
    Map,
    Select,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    indices,
    length,
    numerical,
    tokens,
)
from rasplab.lang.evaluator import Batch, evaluate
from rasplab.lang.functions import EQ, GE, GT, LE, LT, NE, SLOT0, TRUE, Fn
from rasplab.synth.bottomup.bank import SEL, Bank
from rasplab.synth.bottomup.goal import Goal
from rasplab.synth.bottomup.grammar import (
    BINARY_OPS,
    KIND_PREDICATES,
    PREDICATES,
    UNARY_OPS,
    Grammar,
    UnaryOp,
)
from rasplab.synth.bottomup.values import BOOL, CAT, KINDS, NUM, Space

#: array cells per broadcast chunk (bounds the memory of one numpy operation)
CELLS = 3_000_000
#: stop growing the bank beyond this many entries (memory); goal checks go on
MAX_BANK = 400_000
PRED_NODES = {"eq": EQ, "ne": NE, "lt": LT, "le": LE, "gt": GT, "ge": GE}
#: offsets of the shift production (positions back; -1: the next position), and the dearest
#: value it shifts
SHIFTS, MAX_SHIFTED = (1, 2, 3, -1), 3
#: token maps (classes and signed pairs) are enumerated for vocabularies of 3 to this many
#: tokens; every class for up to ALL_CLASSES tokens, pairs only above
MAX_TOKEN_MAP_VOCAB, ALL_CLASSES = 10, 6


class TimeUp(Exception):
    """The budget ran out."""


class Enumerator:
    """Grows a bank level by level under a grammar, feeding each new value to the goal."""

    def __init__(self, space: Space, bank: Bank, goal: Goal, grammar: Grammar, deadline: float,
                 tick: Callable[[int, int], None] | None = None):
        self.space, self.bank, self.goal, self.g = space, bank, goal, grammar
        self.deadline = deadline
        self.tick = tick
        self.candidates = 0
        self.cost = 0
        self.leaves: list[tuple[Any, int, int, np.ndarray]] = []  # (node, kind, cost, values)

    # --- bookkeeping -----------------------------------------------------------------------
    def _check_time(self) -> None:
        if self.tick is not None:
            self.tick(self.cost, self.candidates)
        if time.monotonic() > self.deadline:
            raise TimeUp

    def add_sops(self, kind: int, cost: int, values: np.ndarray, recipe: Callable[[int], Any],
                 ok: np.ndarray | None = None) -> None:
        values, finite = self.space.clean(values.astype(np.float64, copy=False))
        ok = finite if ok is None else ok & finite
        self.candidates += len(values)
        if self.bank.size < MAX_BANK:
            fresh, refs = self.bank.add(kind, cost, values, self.space.sop_prints(values),
                                        recipe, ok)
            if len(fresh):
                self.goal.check_sops(kind, cost, values[fresh], refs)
        self._check_time()

    def add_sels(self, cost: int, sels: np.ndarray, recipe: Callable[[int], Any]) -> None:
        sels = sels & self.space.pvalid
        self.candidates += len(sels)
        if self.bank.size < MAX_BANK:
            fresh, refs = self.bank.add(SEL, cost, sels, self.space.sel_prints(sels), recipe)
            if len(fresh):
                new = sels[fresh]
                self.bank.functional.setdefault(cost, []).extend(
                    (new.sum(axis=3) <= 1).all(axis=(1, 2)).tolist())
                self.goal.check_sels(cost, new, refs)
        self._check_time()

    def _rows(self, per_row: int) -> int:
        return max(1, CELLS // max(1, per_row))

    # --- leaves ----------------------------------------------------------------------------
    def seed(self, priors: list[tuple[Any, np.ndarray, int]] = (),
             leaves: list[tuple[Any, int, int, np.ndarray]] = ()) -> None:
        """Leaves (tokens, indices, length, the all-true selector), prior selectors, and given
        s-ops as extra leaves: (node, kind, cost, values)."""
        sp, g = self.space, self.g
        for node, kind, name, values in ((tokens, sp.token_kind, "tokens", sp.tokens),
                                         (indices, NUM, "indices", sp.indices),
                                         (length, NUM, "length", sp.length)):
            cost = g.cost(name)
            self.leaves.append((node, kind, cost, values))
            self.add_sops(kind, cost, values[None], lambda i, node=node: node)
        one = Full(1, encoding=NUMERICAL)
        self.add_sops(NUM, g.cost("full"), np.ones((1, sp.B, sp.N)), lambda i: one)
        everything = Select(tokens, tokens, TRUE)
        self.add_sels(g.cost("select") + g.cost("tokens"), sp.pvalid[None],
                      lambda i: everything)
        for node, sels, cost in priors:
            self.add_sels(cost, sels[None], lambda i, node=node: node)
        for node, kind, cost, values in leaves:
            self.add_sops(kind, cost, values[None], lambda i, node=node: node)

    # --- one level -------------------------------------------------------------------------
    def level(self, cost: int) -> None:
        """Every program of exactly this cost (tree cost, children shared in the bank).

        Learned abstractions go first: their values then claim the fingerprints (and the goal's
        limited slots) before equal-cost primitive programs do.
        """
        self.cost = cost
        self._abstractions(cost)
        self._token_maps(cost)
        self._unary(cost)
        self._binary(cost)
        self._selects(cost)
        self._combine_selectors(cost)
        self._widths(cost)
        self._aggregates(cost)
        self._shifts(cost)

    def _consts(self, op: UnaryOp) -> list[tuple[float, Any]]:
        sp, g = self.space, self.g
        if op.consts == "none":
            return [(0.0, None)]
        if op.consts == "token":
            return [(sp.encode(t, CAT), t) for t in sp.token_values if sp.token_kind == CAT]
        values = {"arith": g.arith_consts, "scale": g.scale_consts,
                  "modulus": g.modulus_consts, "compare": g.compare_consts}[op.consts]
        if op.consts == "compare" and sp.token_kind == NUM:
            values = tuple(values) + tuple(sp.token_values)
        return [(float(c), c) for c in dict.fromkeys(values)]

    def _token_maps(self, cost: int) -> None:
        """Tables of the tokens that one comparison cannot express: classes (`tokens` in a set
        of 2 or more, boolean) and signed pairs (+1 for one token, -1 for another, 0 else).

        `tokens == "("` picks one token; "an opening bracket" or "(" counting against ")" need
        an `or` or a difference of two indicators (cost 8 and 11). As tables they are single
        categorical MLPs, the step a compiled or trained model takes for them.
        """
        sp, g = self.space, self.g
        if sp.token_kind != CAT or cost != g.cost("map.tokens") + g.cost("tokens"):
            return
        vocab = sp.token_values
        if not 3 <= len(vocab) <= MAX_TOKEN_MAP_VOCAB:
            return
        codes = np.array([sp.encode(t, CAT) for t in vocab])
        onehot = (sp.tokens[None] == codes[:, None, None]) & sp.valid[None]  # (V, B, N)
        v = len(vocab)
        sizes = range(2, v - 1) if v <= ALL_CLASSES else (2,)
        classes = [s for k in sizes for s in itertools.combinations(range(v), k)]
        if classes:
            values = np.stack([onehot[list(s)].any(axis=0) for s in classes]).astype(np.float64)
            self.add_sops(BOOL, cost, values, lambda i: Map(Fn.table(
                {t: j in classes[i] for j, t in enumerate(vocab)}), tokens))
        pairs = list(itertools.permutations(range(v), 2))
        plus, minus = np.array(pairs).T
        values = onehot[plus].astype(np.float64) - onehot[minus]
        self.add_sops(NUM, cost, values, lambda i: Map(Fn.table(
            {t: (j == pairs[i][0]) - (j == pairs[i][1]) for j, t in enumerate(vocab)}), tokens))

    def _unary(self, cost: int) -> None:
        B, N = self.space.B, self.space.N
        for op in UNARY_OPS:
            child = cost - self.g.cost("map." + op.name)
            lvl = self.bank.level(op.kind, child)
            if lvl is None:
                continue
            step = self._rows(B * N)
            for enc, const in self._consts(op):
                fn = op.node_fn(const)

                def make(x: Any, fn: Any = fn) -> Map:
                    return Map(fn, x)
                for s in range(0, len(lvl), step):
                    x = lvl.values[s: s + step]
                    with np.errstate(all="ignore"):
                        y = op.fn(x, enc)
                    self.add_sops(op.out, cost, y, lambda i, s=s, k=op.kind, c=child:
                                  (make, ((k, c, s + i),)))

    def _binary(self, cost: int) -> None:
        B, N = self.space.B, self.space.N
        for op in BINARY_OPS:
            rest = cost - self.g.cost("binary." + op.name)
            fn = op.node_fn()

            def make(a: Any, b: Any, fn: Any = fn) -> SequenceMap:
                return SequenceMap(fn, a, b)
            for c1 in self.bank.costs(op.kind):
                c2 = rest - c1
                if c2 < 1 or (op.commutative and c1 > c2):
                    continue
                l1, l2 = self.bank.level(op.kind, c1), self.bank.level(op.kind, c2)
                if l1 is None or l2 is None:
                    continue
                x2 = l2.values
                m2 = len(x2)
                step = self._rows(m2 * B * N)
                for s in range(0, len(l1), step):
                    x1 = l1.values[s: s + step]
                    with np.errstate(all="ignore"):
                        y = op.fn(x1[:, None], x2[None]).reshape(-1, B, N)
                    self.add_sops(op.out, cost, y, lambda i, s=s, k=op.kind, c1=c1, c2=c2, m2=m2:
                                  (make, ((k, c1, s + i // m2), (k, c2, i % m2))))

    def _selects(self, cost: int) -> None:
        sp, g = self.space, self.g
        B, N = sp.B, sp.N
        w = g.cost("select")
        step = self._rows(B * N * N)
        for kind in KINDS:
            preds = KIND_PREDICATES[kind]
            # select(x, x, pred): keys and queries the same s-op
            lvl = self.bank.level(kind, cost - w)
            if lvl is not None:
                for p in preds:
                    pn = PRED_NODES[p]
                    for s in range(0, len(lvl), step):
                        x = lvl.values[s: s + step]
                        sels = PREDICATES[p](x[:, :, None, :], x[:, :, :, None])
                        self.add_sels(cost, sels, lambda i, s=s, c=cost - w, k=kind, pn=pn:
                                      (lambda a, pn=pn: Select(a, a, pn), ((k, c, s + i),)))
            # select(leaf, x, pred) and select(x, leaf, pred)
            for leaf, lkind, lcost, lval in self.leaves:
                if lkind != kind or leaf is length:
                    continue
                child = cost - w - lcost
                lvl = self.bank.level(kind, child)
                if lvl is None:
                    continue
                for p in preds:
                    pn = PRED_NODES[p]
                    for s in range(0, len(lvl), step):
                        x = lvl.values[s: s + step]
                        as_keys = PREDICATES[p](lval[None, :, None, :], x[:, :, :, None])
                        self.add_sels(cost, as_keys, lambda i, s=s, c=child, leaf=leaf, pn=pn:
                                      (lambda q, leaf=leaf, pn=pn: Select(leaf, q, pn),
                                       ((kind, c, s + i),)))
                        as_queries = PREDICATES[p](x[:, :, None, :], lval[None, :, :, None])
                        self.add_sels(cost, as_queries, lambda i, s=s, c=child, leaf=leaf, pn=pn:
                                      (lambda k, leaf=leaf, pn=pn: Select(k, leaf, pn),
                                       ((kind, c, s + i),)))
            # select(x, constant, pred): keys compared with one value
            child = cost - w - 1
            lvl = self.bank.level(kind, child)
            if lvl is None:
                continue
            if kind == NUM:
                consts = [(float(c), c, p) for c in g.compare_consts for p in ("eq", "lt", "gt")]
            elif kind == BOOL:
                consts = [(1.0, True, "eq")]
            else:
                consts = [(sp.encode(t, CAT), t, "eq") for t in sp.token_values
                          if sp.token_kind == CAT]
            for enc, const, p in consts:
                pn = PRED_NODES[p]
                full = Full(const)
                for s in range(0, len(lvl), step):
                    x = lvl.values[s: s + step]
                    sels = np.broadcast_to(PREDICATES[p](x[:, :, None, :], enc), (len(x), B, N, N))
                    self.add_sels(cost, sels, lambda i, s=s, c=child, pn=pn, full=full:
                                  (lambda k, pn=pn, full=full: Select(k, full, pn),
                                   ((kind, c, s + i),)))

    def _combine_selectors(self, cost: int) -> None:
        sp, g = self.space, self.g
        cells = sp.B * sp.N * sp.N
        for name, op, node in (("and", np.logical_and, SelectorAnd),
                               ("or", np.logical_or, SelectorOr)):
            rest = cost - g.cost(name)
            for c1 in self.bank.costs(SEL):
                c2 = rest - c1
                if c2 < c1:
                    continue
                l1, l2 = self.bank.level(SEL, c1), self.bank.level(SEL, c2)
                if l1 is None or l2 is None:
                    continue
                s2 = l2.values
                m2 = len(s2)
                step = self._rows(m2 * cells)
                for s in range(0, len(l1), step):
                    s1 = l1.values[s: s + step]
                    sels = op(s1[:, None], s2[None]).reshape(-1, sp.B, sp.N, sp.N)
                    self.add_sels(cost, sels, lambda i, s=s, c1=c1, c2=c2, m2=m2, node=node:
                                  (node, ((SEL, c1, s + i // m2), (SEL, c2, i % m2))))
        self._causal(cost)
        lvl = self.bank.level(SEL, cost - g.cost("not"))
        if lvl is not None:
            step = self._rows(cells)
            for s in range(0, len(lvl), step):
                sels = ~lvl.values[s: s + step]
                self.add_sels(cost, sels, lambda i, s=s, c=cost - g.cost("not"):
                              (SelectorNot, ((SEL, c, s + i),)))

    def _causal(self, cost: int) -> None:
        """`s and select(indices, indices, <=)` as one step ("and.prevs"): a causal mask."""
        sp = self.space
        child = cost - self.g.cost("and.prevs")
        lvl = self.bank.level(SEL, child)
        if lvl is None:
            return
        prevs = np.arange(sp.N)[None, :] <= np.arange(sp.N)[:, None]  # (query, key)
        mask = Select(indices, indices, LE)

        def make(s: Any) -> SelectorAnd:
            return SelectorAnd(s, mask)
        step = self._rows(sp.B * sp.N * sp.N)
        for s in range(0, len(lvl), step):
            sels = lvl.values[s: s + step] & prevs[None, None]
            self.add_sels(cost, sels, lambda i, s=s: (make, ((SEL, child, s + i),)))

    def _widths(self, cost: int) -> None:
        child = cost - self.g.cost("selector_width")
        lvl = self.bank.level(SEL, child)
        if lvl is None:
            return
        step = self._rows(self.space.B * self.space.N * self.space.N)
        for s in range(0, len(lvl), step):
            widths = lvl.values[s: s + step].sum(axis=3)
            self.add_sops(NUM, cost, widths, lambda i, s=s:
                          (SelectorWidth, ((SEL, child, s + i),)))

    def _aggregates(self, cost: int) -> None:
        sp, g = self.space, self.g
        B, N = sp.B, sp.N
        defaults = {NUM: 0.0, BOOL: 0.0, CAT: sp.encode(None, CAT)}
        py_defaults = {NUM: 0, BOOL: False, CAT: None}
        for categorical in (False, True):
            rest = cost - g.cost("aggregate.cat" if categorical else "aggregate")
            kinds = KINDS if categorical else (NUM,)
            for c1 in self.bank.costs(SEL):
                sl = self.bank.level(SEL, c1)
                rows = np.arange(len(sl))
                if categorical:
                    rows = np.nonzero(np.array(self.bank.functional.get(c1, []), dtype=bool))[0]
                    if not len(rows):
                        continue
                for kind in kinds:
                    c2 = rest - c1
                    vl = self.bank.level(kind, c2)
                    if vl is None:
                        continue
                    vals = vl.values  # (m2, B, N)
                    m2 = len(vals)
                    vt = vals.transpose(1, 2, 0)  # (B, N, m2)
                    step = self._rows(m2 * B * N * N // 4 + 1)
                    for s in range(0, len(rows), step):
                        idx = rows[s: s + step]
                        sels = sl.values[idx].astype(np.float64)  # (m1, B, N, N)
                        m1 = len(idx)
                        sums = np.matmul(sels.transpose(1, 0, 2, 3).reshape(B, m1 * N, N), vt)
                        sums = sums.reshape(B, m1, N, m2).transpose(1, 3, 0, 2)  # (m1,m2,B,N)
                        count = sels.sum(axis=3)[:, None]  # (m1, 1, B, N)
                        with np.errstate(all="ignore"):
                            if categorical:
                                out = np.where(count > 0, sums, defaults[kind])
                            else:
                                out = np.where(count > 0, sums / count, 0.0)
                        out = out.reshape(-1, B, N)
                        if categorical:
                            d = py_defaults[kind]

                            def make(sel: Any, v: Any, d: Any = d) -> Aggregate:
                                return Aggregate(sel, v, d)
                        else:
                            def make(sel: Any, v: Any) -> Aggregate:
                                return Aggregate(sel, numerical(v), 0, encoding=NUMERICAL)
                        self.add_sops(
                            kind if categorical else NUM, cost, out,
                            lambda i, idx=idx, m2=m2, c1=c1, c2=c2, k=kind, make=make:
                            (make, ((SEL, c1, int(idx[i // m2])), (k, c2, i % m2))))

    def _shifts(self, cost: int) -> None:
        """`shift(v, k)`: v read k positions back (forward for k < 0), the kind's default where
        that runs off the input, as one step ("shift"). It is `aggregate(select(indices,
        indices - k, ==), v)`, the idiom of previous-token and pattern programs, whose pieces
        cost 6 more as separate productions; only cheap values are shifted."""
        sp, g = self.space, self.g
        child = cost - g.cost("shift")
        if child < 1 or child > MAX_SHIFTED:
            return
        defaults = {NUM: 0.0, BOOL: 0.0, CAT: sp.encode(None, CAT)}
        pos = np.arange(sp.N)
        for kind in KINDS:
            lvl = self.bank.level(kind, child)
            if lvl is None:
                continue
            for off in SHIFTS:
                if off < 0 and sp.causal:
                    continue  # a causal selector sees no later key
                src = pos - off
                inside = (src >= 0) & (src < sp.N)
                from_ok = np.zeros_like(sp.valid)
                from_ok[:, inside] = sp.valid[:, src[inside]]
                step = self._rows(sp.B * sp.N)
                for s in range(0, len(lvl), step):
                    x = lvl.values[s: s + step]
                    moved = np.full_like(x, defaults[kind])
                    moved[:, :, inside] = x[:, :, src[inside]]
                    moved = np.where(from_ok[None], moved, defaults[kind])
                    self.add_sops(kind, cost, moved, lambda i, s=s, k=kind, off=off:
                                  (lambda v, off=off, k=k: shift(v, off, k),
                                   ((k, child, s + i),)))

    def _abstractions(self, cost: int) -> None:
        """Learned abstractions (`grammar.abstractions`) applied to bank entries as one step.

        Each argument combination whose costs sum to `cost` minus the abstraction's own cost is
        evaluated by its vectorised `values` (or, without one, by the reference evaluator).
        """
        sp = self.space
        for ab in self.g.abstractions:
            sorts = [SEL if a == "sel" else _KIND_OF[a] for a in ab.args]
            out = SEL if ab.out == "sel" else _KIND_OF[ab.out]
            per_row = sp.B * sp.N * (sp.N if SEL in (*sorts, out) else 1)
            step = self._rows(4 * per_row)
            for costs in _cost_splits(cost - ab.cost, [self.bank.costs(s) for s in sorts]):
                levels = [self.bank.level(s, c) for s, c in zip(sorts, costs)]
                if any(lvl is None for lvl in levels):
                    continue
                sizes = [len(lvl) for lvl in levels]
                total = min(int(np.prod(sizes)), MAX_ABSTRACTION_ROWS)
                combos = np.indices(sizes).reshape(len(sizes), -1)[:, :total] if sizes \
                    else np.zeros((0, 1), dtype=np.int64)
                for s in range(0, total, step):
                    cols = combos[:, s: s + step]
                    m = cols.shape[1]
                    arrays = [lvl.values[c] for lvl, c in zip(levels, cols)]
                    refs = [(srt, c) for srt, c in zip(sorts, costs)]
                    result = self._abstraction_values(ab, arrays, refs, cols, m)

                    def recipe(i: int, cols: Any = cols, refs: Any = refs, ab: Any = ab) -> Any:
                        return (ab.build, tuple((srt, c, int(col[i]))
                                                for (srt, c), col in zip(refs, cols)))
                    if out == SEL:
                        self.add_sels(cost, result.astype(bool), recipe)
                    else:
                        self.add_sops(out, cost, result, recipe)

    def _abstraction_values(self, ab: Any, arrays: list, refs: list, cols: np.ndarray,
                            m: int) -> np.ndarray:
        """The results of `m` argument combinations, vectorised or node by node."""
        sp = self.space
        shape = (m, sp.B, sp.N, sp.N) if ab.out == "sel" else (m, sp.B, sp.N)
        if ab.values is not None:
            return np.broadcast_to(ab.values(sp, arrays), shape)
        batch = Batch(sp.inputs, causal=sp.causal)
        out = np.zeros(shape, dtype=bool) if ab.out == "sel" else np.full(shape, np.nan)
        for i in range(m):
            node = ab.build(*[self.bank.node((srt, c, int(col[i])))
                              for (srt, c), col in zip(refs, cols)])
            try:
                if ab.out == "sel":
                    out[i] = np.asarray(batch.value(node), dtype=bool)[:, : sp.N, : sp.N]
                else:
                    out[i] = sp.encode_rows(evaluate(node, sp.inputs, strict=False,
                                                     causal=sp.causal),
                                            _KIND_OF[ab.out])
            except Exception:
                continue
        return out


#: the engine kind of an abstraction's argument or result name
_KIND_OF = {"num": NUM, "bool": BOOL, "cat": CAT}
#: at most this many argument combinations of one abstraction per cost level
MAX_ABSTRACTION_ROWS = 200_000


def shift(v: Any, offset: int, kind: int = CAT) -> Aggregate:
    """`v` read `offset` positions back (ahead for a negative offset): `aggregate(select(
    indices, indices - offset, ==), v)` with the default of the enumerator's aggregates."""
    op = "sub" if offset > 0 else "add"
    query = Map(Fn.of(op, SLOT0, abs(offset)), indices)
    default = {NUM: 0, BOOL: False, CAT: None}[kind]
    return Aggregate(Select(indices, query, EQ), v, default)


def _cost_splits(total: int, options: list[list[int]]) -> list[tuple[int, ...]]:
    """Every way to pick one cost per argument from `options` so that they sum to `total`."""
    if not options:
        return [()] if total == 0 else []
    out = []
    for c in options[0]:
        if c <= total:
            out.extend((c, *rest) for rest in _cost_splits(total - c, options[1:]))
    return out
