"""Goal-directed last steps: recognise, for each new value, programs that end in it.

Working backwards from the output: a value equal to the output is an answer; a value that
determines the output position by position gives a table; a value holding the output's values
is an aggregate *target*, and any selector that selects only keys holding the right value (and
some key wherever the output is not the default) finishes the program, with the default
chosen per selector among the fill values the output takes; a number `x` with a partner `p`
already in the bank such that `x op p` is the output gives a binary last step. Arithmetic of
numbers (`arith`), two-argument tables (`pairs`) and index maps read off the output (`gather`)
are the other last steps checked here.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import numpy as np

from rasplab.lang.ast import (
    CATEGORICAL,
    Aggregate,
    Node,
    Select,
    SelectorWidth,
    SequenceMap,
    indices,
    tokens,
)
from rasplab.lang.functions import EQ, binary
from rasplab.lang.values import same_value
from rasplab.synth.bottomup.arith import NumericGoal, guarded_div
from rasplab.synth.bottomup.bank import SEL, Bank, Ref
from rasplab.synth.bottomup.candidate import Candidate
from rasplab.synth.bottomup.gather import consistent_keys, index_map, index_map_by_length
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.pairs import PairTables, partition_prints
from rasplab.synth.bottomup.sorting import SortGoal
from rasplab.synth.bottomup.split import CaseSplit
from rasplab.synth.bottomup.values import BOOL, CAT, NUM, TOL, Space

#: fill values are the same when equal and of one type (a default of 1 is not True)
_exact = partial(same_value, tol=None)
MAX_TARGETS = 24
#: most of the keys an aggregate target may allow, on average over queries
MAX_SHARE = 0.5
MAX_BOOLS = 64
#: targets for `max(tokens, aggregate(...))` at most
MAX_WRAPPED = 6
#: candidate fill values per aggregate target (see `Goal._defaults`)
MAX_DEFAULTS = 3
#: at most this share of a table's keys may be seen at a single position of the search set
MAX_ONCE = 0.5
#: a table needs on average this many positions per key in the search examples
SUPPORT = 2
#: fraction of positions an aggregate target may leave to the default
MAX_UNREACHED = 0.5
#: checks look at the first few (longest) examples before all of them; a candidate must get
#: half of those right to be looked at further (tolerates noisy labels, yet cheap)
PREFILTER = 4
PREFILTER_PASS = 0.5 - 1e-9


@dataclass
class Target:
    """An s-op a categorical aggregate could move into place, and what the output asks of it."""

    ref: Ref
    cost: int
    not_allowed: np.ndarray  # float32 (B, N, N): 1 where key k's value differs from y[q]
    allowed: np.ndarray  # bool (B, N, N)
    #: bool (D, B, N): per candidate default, the positions where selecting nothing gives y[q]
    default_ok: np.ndarray
    #: the D candidate defaults (the fill values an aggregate may leave where it selects
    #: nothing); a finished aggregate takes the one that fits best with its selector
    defaults: tuple[Any, ...]
    #: "max", "mul" or "div": the program is `max(tokens, aggregate(...))`, `tokens *
    #: aggregate(...)` or `tokens / aggregate(...)` (guarded at 0): the aggregate fetches the
    #: partner the output asks for (see `_wraps`)
    wrap: str | None = None


class Goal:
    """Checks new bank entries against the output and reports candidates to `propose`."""

    def __init__(self, space: Space, bank: Bank, grammar: Grammar,
                 propose: Callable[[Candidate], None]):
        self.space, self.bank, self.grammar, self.propose = space, bank, grammar, propose
        self.targets: list[Target] = []
        #: cheap booleans kept for two-boolean tables: (ref, cost, flat 0/1 values)
        self.bools: list[tuple[Ref, int, np.ndarray]] = []
        #: search accuracy a candidate must reach to be worth proposing (the driver raises it)
        self.threshold = 1e-9
        yv = space.y[NUM][space.valid]
        self.invertible = space.y_kind == NUM and not np.isnan(yv).any()
        self.y_nonzero = self.invertible and bool((np.abs(yv) > TOL).all())
        #: a table may have at most this many keys: the data must support it (each key seen
        #: at SUPPORT positions on average), so a table over an injective s-op cannot simply
        #: memorise the output position by position
        self.max_keys = int(space.valid.sum()) // SUPPORT
        self.tabular = len(space.y_table) <= self.max_keys
        #: partitions of the positions already offered as tables (a table over `tokens + 1`
        #: says what the table over `tokens` says)
        self.partitions: set[int] = set()
        self._dok_cache: dict[tuple, np.ndarray] = {}
        self._part_hash = np.random.default_rng(space.B).integers(
            1, 2**62, size=int(space.valid.sum()), dtype=np.int64).astype(np.uint64)
        #: decision lists over boolean sub-goals, for outputs with a few distinct values
        self.split = CaseSplit(space, bank, grammar, propose)
        #: numeric outputs that are numeric tokens combined with a value fetched from elsewhere
        #: (the larger of the two, a product, a quotient): what the fetched value must be
        self.wraps = _wraps(space)
        self.wrapped = 0
        #: two few-valued s-ops whose pair determines the output
        self.pairs = PairTables(space, bank, grammar, self.max_keys, propose)
        #: numeric outputs: arithmetic of one number, or of a new number and a cheap one
        self.numeric = NumericGoal(space, bank, grammar, propose)
        #: outputs that reorder the tokens: keys that sort them so
        self.sorting = SortGoal(space, bank, grammar, propose, lambda: self.threshold)

    # --- helpers ------------------------------------------------------------------------
    def _accuracy(self, match: np.ndarray) -> np.ndarray:
        """(m, B, N) positionwise matches -> (m,) fraction of examples matched everywhere."""
        return (match | ~self.space.valid).all(axis=2).mean(axis=1)

    # --- s-ops --------------------------------------------------------------------------
    def check_sops(self, kind: int, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        """Every last step that a chunk of new s-op values of `kind` completes."""
        sp = self.space
        y = sp.y[kind]
        match = np.abs(values - y) <= TOL
        accs = self._accuracy(match)
        for i in np.nonzero(accs >= self.threshold)[0].tolist():
            self.propose(Candidate(partial(self.bank.node, refs[i]), cost, float(accs[i]),
                                   "direct"))
        self.split.check(kind, cost, values, refs)
        self.sorting.check(kind, cost, values, refs)
        if self.tabular:
            self._tables(cost, values, refs, accs)
            if kind == BOOL:
                self._pair_tables(cost, values, refs)
            self.pairs.check(kind, cost, values, refs)
        if not np.isnan(y[sp.valid]).all():  # the output has values of this kind
            self._new_targets(kind, cost, values, refs)
            if kind == NUM and self.wraps:
                self._wrapped_targets(cost, values, refs)
        if kind == NUM:
            self.numeric.check(cost, values, refs)
            self._eager_selects(cost, values, refs, self.targets)
            if self.invertible:
                self._invert_binary(cost, values, refs)

    def _tables(self, cost: int, values: np.ndarray, refs: list[Ref],
                direct: np.ndarray) -> None:
        """Values that determine the output (equal values -> equal outputs) give a table."""
        sp = self.space
        xv = values[:, sp.valid]
        yv = sp.y_codes[sp.valid]
        order = np.argsort(xv, axis=1, kind="stable")
        xs = np.take_along_axis(xv, order, axis=1)
        ys = yv[order]
        same = xs[:, 1:] == xs[:, :-1]
        conflicts = (same & (ys[:, 1:] != ys[:, :-1])).any(axis=1)
        keys = (~same).sum(axis=1) + 1
        # keys seen at one position only: a table of mostly such keys memorises the examples
        edge = np.ones((len(xs), 1), dtype=bool)
        start = np.concatenate([edge, ~same, edge], axis=1)
        once = (start[:, :-1] & start[:, 1:]).sum(axis=1)
        ok = ~conflicts & (keys <= self.max_keys) & (once <= keys * MAX_ONCE) & (direct < 1.0)
        rows = np.nonzero(ok)[0]
        if not len(rows):
            return
        prints = partition_prints(order[rows], same[rows], self._part_hash)
        w = self.grammar.cost("table")
        for i, p in zip(rows.tolist(), prints.tolist()):
            if p in self.partitions:
                continue
            self.partitions.add(p)
            extra = max(0, int(keys[i]) - self.grammar.table_free) // self.grammar.table_step
            self.propose(Candidate(partial(self.bank.node, refs[i]), cost + w + extra, 1.0,
                                   "table"))

    def _pair_tables(self, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        """Two booleans that together determine the output give a two-level table."""
        sp = self.space
        new = values[:, sp.valid].astype(np.int64)  # (m, P)
        yv = sp.y_codes[sp.valid]
        big = len(sp.y_table) + 1
        if self.bools:
            old = np.stack([b[2] for b in self.bools])  # (F, P)
            head = int(sp.lengths[:PREFILTER].sum())  # the first examples' positions

            def conflicts(a: np.ndarray, b: np.ndarray, y: np.ndarray) -> np.ndarray:
                codes = 2 * a[None] + b[:, None]  # (m, F, p)
                out = np.zeros(codes.shape[:2], dtype=bool)
                for c in range(4):
                    hit = codes == c
                    lo = np.where(hit, y, big).min(axis=2)
                    hi = np.where(hit, y, -1).max(axis=2)
                    out |= (lo < big) & (lo != hi)
                return out
            conflict = conflicts(old[:, :head], new[:, :head], yv[:head])
            rows = np.nonzero(~conflict.all(axis=1))[0]
            if len(rows):
                conflict[rows] |= conflicts(old, new[rows], yv)
            w = self.grammar.cost("table.pair")
            for i, f in zip(*np.nonzero(~conflict)):
                a_ref, a_cost, _ = self.bools[f]
                b_ref = refs[int(i)]
                self.propose(Candidate(partial(self._pair_nodes, a_ref, b_ref),
                                       cost + a_cost + w, 1.0, "pair"))
        room = MAX_BOOLS - len(self.bools)
        for i in range(min(room, len(new))):
            self.bools.append((refs[i], cost, new[i]))

    def _pair_nodes(self, a: Ref, b: Ref) -> tuple[Node, Node]:
        return self.bank.node(a), self.bank.node(b)

    def _new_targets(self, kind: int, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        if len(self.targets) >= MAX_TARGETS:
            return
        sp = self.space
        y = sp.y[kind]
        rows = np.arange(len(values))
        for part in (slice(0, PREFILTER), slice(None)):  # a cheap look first, then all
            v, yy, valid = values[rows][:, part], y[part], sp.valid[part]
            allowed = (np.abs(v[:, :, None, :] - yy[None, :, :, None]) <= TOL) & sp.pvalid[part]
            unreached = valid & ~allowed.any(axis=3)
            frac = unreached.sum(axis=(1, 2)) / max(1, valid.sum())
            # a value that holds the wanted output at most keys pins down little: skip it
            share = allowed.sum(axis=(1, 2, 3)) / max(1, sp.pvalid[part].sum())
            keep = (frac <= MAX_UNREACHED) & (share <= MAX_SHARE)
            rows, allowed, unreached = rows[keep], allowed[keep], unreached[keep]
            if not len(rows):
                return
        for j, i in enumerate(rows.tolist()):
            if len(self.targets) >= MAX_TARGETS:
                break
            if (values[i][sp.valid] == values[i][sp.valid][0]).all():
                continue  # a constant needs no aggregate
            defaults = self._defaults(kind, unreached[j])
            default_ok = np.stack([self._default_ok(d) for d in defaults])
            target = Target(refs[i], cost, (~allowed[j]).astype(np.float32), allowed[j],
                            default_ok, defaults)
            self.targets.append(target)
            self._index_map(target)
            self._target_vs_bank(target)

    def _wrapped_targets(self, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        """Targets for `op(tokens, aggregate(s, v))`: at the positions where the output says
        what the fetched value must be, the key must hold it; elsewhere any key will do (for
        max, any not above the output). Selecting nothing gives 0."""
        sp = self.space
        for i in range(len(values)):
            for op, care, wanted, dok in self.wraps:
                if self.wrapped >= MAX_WRAPPED:
                    return
                v = values[i]
                exact = np.abs(v[:, None, :] - wanted[:, :, None]) <= TOL
                loose = v[:, None, :] <= sp.y[NUM][:, :, None] + TOL if op == "max" else True
                allowed = np.where(care[:, :, None], exact, loose) & sp.pvalid
                if (care & ~allowed.any(axis=2)).sum() > MAX_UNREACHED * care.sum():
                    continue
                target = Target(refs[i], cost, (~allowed).astype(np.float32), allowed,
                                np.stack([dok] * MAX_DEFAULTS), (0,) * MAX_DEFAULTS, op)
                self.wrapped += 1
                self.targets.append(target)
                self._index_map(target)
                self._target_vs_bank(target)

    def _index_map(self, target: Target) -> None:
        """`aggregate(select(indices, w, ==), target)` with `w` a function of the index read
        off the output (see `gather`), with the first of the target's defaults that allows one."""
        for d in range(MAX_DEFAULTS):
            if d and _exact(target.defaults[d], target.defaults[d - 1]):
                continue
            w = index_map(self.space, consistent_keys(self.space, target.allowed,
                                                       target.default_ok[d]))
            if w is None:
                w = index_map_by_length(self.space, target.allowed, target.default_ok[d])
            if w is None:
                continue
            sel = Select(indices, w, EQ)
            cost = target.cost + self.grammar.program_cost(sel) + self.grammar.cost("aggregate")
            self.propose(Candidate(self._aggregate_builder(lambda sel=sel: sel, target, d),
                                   cost, 1.0, "aggregate"))
            return

    def _defaults(self, kind: int, unreached: np.ndarray) -> tuple[Any, ...]:
        """The fill values worth trying for an aggregate of a value of `kind`: the output most
        common where no key holds the wanted value, the outputs most common at the first and at
        the last position (where shifts run off the input), and the kind's own default."""
        sp = self.space
        last = sp.y_codes[np.arange(sp.B), sp.lengths - 1]
        picks = [sp.y_codes[unreached], sp.y_codes[:, 0], last]
        found = [sp.y_table[Counter(c.tolist()).most_common(1)[0][0]] for c in picks if len(c)]
        found.append({NUM: 0, BOOL: False, CAT: None}[kind])
        out: list[Any] = []
        for d in found:
            if not any(_exact(d, o) for o in out):
                out.append(d)
        out = out[:MAX_DEFAULTS]
        return tuple(out + [out[0]] * (MAX_DEFAULTS - len(out)))

    def _default_ok(self, default: Any) -> np.ndarray:
        """(B, N) where the output is `default` (cached per value)."""
        key = (type(default).__name__, default)
        if key not in self._dok_cache:
            ok = np.zeros_like(self.space.valid)
            for b, row in enumerate(self.space.outputs):
                ok[b, : len(row)] = [_exact(v, default) for v in row]
            self._dok_cache[key] = ok
        return self._dok_cache[key]

    def _target_vs_bank(self, target: Target) -> None:
        """A new target against every selector and every eager select already known."""
        for c in self.bank.costs(SEL):
            for sels, refs in self.bank.chunks(SEL, c, 2048):
                self._sels_vs_targets(c, sels, lambda j, refs=refs: refs[j], [target])
        for c in self.bank.costs(NUM):
            for vals, refs in self.bank.chunks(NUM, c, 1024):
                self._eager_selects(c, vals, refs, [target])

    # --- selectors ----------------------------------------------------------------------
    def check_sels(self, cost: int, sels: np.ndarray, refs: list[Ref]) -> None:
        """New selectors finish aggregates directly, and their widths as positions to fetch."""
        if self.targets:
            self._sels_vs_targets(cost, sels, lambda j: refs[j], self.targets)
            widths = sels.sum(axis=3).astype(np.float64)
            self._eager_selects(cost + self.grammar.cost("selector_width"), widths,
                                [partial(self._width, r) for r in refs], self.targets)

    def _scores(self, sels: np.ndarray, targets: list[Target], part: slice,
                which: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """(m, T) fraction of the examples in `part` where aggregate(sel, target) is right with
        the best of the target's defaults (and, if `which`, (m, T) the index of that default)."""
        sp = self.space
        m, b, n = sels.shape[0], sels.shape[1], sp.N
        s = sels.reshape(m, b * n, n).transpose(1, 0, 2).astype(np.float32)
        bad = np.stack([t.not_allowed[part].reshape(b * n, n) for t in targets], axis=2)
        violations = np.matmul(s, bad)  # (b*n, m, T)
        inside = (violations < 0.5).transpose(1, 2, 0).reshape(m, len(targets), b, n)
        nonempty = sels.any(axis=3)[:, None]
        accs = []
        slots = _slots(targets)
        for d in slots:
            dok = np.stack([t.default_ok[d, part] for t in targets])[None]
            ok = inside & (nonempty | dok) | ~sp.valid[part]
            accs.append(ok.all(axis=3).mean(axis=2))
        return _best(accs, np.array(slots), which)

    def _sels_vs_targets(self, cost: int, sels: np.ndarray, sel_node: Callable[[int], Any],
                         targets: list[Target], rows: np.ndarray | None = None) -> None:
        """Which selectors finish an aggregate for which targets, scored per example.

        `rows` (already prefiltered) says which selectors `sels` holds; else all are
        prefiltered here on the first examples."""
        if rows is None:
            small = self._scores(sels[:, :PREFILTER], targets, slice(0, PREFILTER))
            rows = np.nonzero((small >= PREFILTER_PASS).any(axis=1))[0]
            if not len(rows):
                return
            sels = sels[rows]
        accs, best = self._scores(sels, targets, slice(None), which=True)
        w = self.grammar.cost("aggregate")
        for j, t in zip(*np.nonzero(accs >= self.threshold)):
            target = targets[t]
            sel = sel_node(int(rows[j]))
            self.propose(Candidate(self._aggregate_builder(sel, target, int(best[j, t])),
                                   cost + target.cost + w, float(accs[j, t]), "aggregate"))

    def _aggregate_builder(self, sel: Any, target: Target, d: int = 0) -> Callable[[], Node]:
        def build() -> Node:
            s = sel() if callable(sel) else self.bank.node(sel)
            moved = Aggregate(s, self.bank.node(target.ref), target.defaults[d],
                              encoding=CATEGORICAL)
            if target.wrap is None:
                return moved
            if target.wrap == "div":
                return guarded_div(tokens, moved, 0)
            return SequenceMap(binary(target.wrap), tokens, moved)
        return build

    def _gather_scores(self, wi: np.ndarray, hit: np.ndarray, targets: list[Target],
                       part: slice, which: bool = False
                       ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """(m, T) accuracy of aggregate(select(indices, w, ==), target) from key picks `wi`,
        with the best of each target's defaults (and its index, if `which`)."""
        allowed = np.stack([t.allowed[part] for t in targets])  # (T, b, N, N)
        t_idx = np.arange(len(targets))[:, None, None, None]
        b_idx = np.arange(wi.shape[1])[None, None, :, None]
        q_idx = np.arange(self.space.N)[None, None, None, :]
        picked = allowed[t_idx, b_idx, q_idx, wi[None]]  # (T, m, b, N)
        accs = []
        slots = _slots(targets)
        for d in slots:
            dok = np.stack([t.default_ok[d, part] for t in targets])  # (T, b, N)
            ok = np.where(hit[None], picked, dok[:, None]) | ~self.space.valid[part]
            accs.append(ok.all(axis=3).mean(axis=2).T)
        return _best(accs, np.array(slots), which)

    def _node(self, item: Ref | Callable[[], Node]) -> Node:
        return item() if callable(item) else self.bank.node(item)

    def _gather(self, item: Ref | Callable[[], Node]) -> Select:
        return Select(indices, self._node(item), EQ)

    def _width(self, ref: Ref) -> SelectorWidth:
        return SelectorWidth(self.bank.node(ref))

    def _eager_selects(self, cost: int, values: np.ndarray,
                       refs: list[Ref] | list[Callable[[], Node]],
                       targets: list[Target]) -> None:
        """`select(indices, w, ==)` and `select(w, indices, ==)` for new numbers `w`, at once.

        `refs` are bank entries or builders of the nodes computing `w`."""
        if not targets:
            return
        sp = self.space
        w_sel = self.grammar.cost("select") + self.grammar.cost("indices")
        # only index-like values (integers from -1 to n) can pick positions
        flat = values.reshape(len(values), -1)
        index_like = ((flat == np.rint(flat)) & (flat >= -1) & (flat <= sp.N)).all(axis=1)
        if not index_like.all():
            keep = np.nonzero(index_like)[0]
            if not len(keep):
                return
            values, refs = values[keep], [refs[i] for i in keep.tolist()]
        # select(indices, w, ==) picks key w[q]: a gather, no (q, k) matrix needed
        wi = np.clip(np.rint(values), 0, sp.N - 1).astype(np.int64)
        hit = (values == wi) & (values >= 0) & (values < sp.lengths[None, :, None])
        part = slice(0, PREFILTER)
        small = self._gather_scores(wi[:, part], hit[:, part], targets, part)
        rows = np.nonzero((small >= PREFILTER_PASS).any(axis=1))[0]
        accs = np.zeros((len(values), len(targets)))
        best = np.zeros((len(values), len(targets)), dtype=np.int64)
        if len(rows):
            accs[rows], best[rows] = self._gather_scores(wi[rows], hit[rows], targets,
                                                         slice(None), which=True)
        w_agg = self.grammar.cost("aggregate")
        for j, t in zip(*np.nonzero(accs >= self.threshold)):
            target = targets[t]
            sel = partial(self._gather, refs[int(j)])
            self.propose(Candidate(self._aggregate_builder(sel, target, int(best[j, t])),
                                   cost + w_sel + target.cost + w_agg, float(accs[j, t]),
                                   "aggregate"))
        # select(w, indices, ==): query q picks the keys whose w is q
        idx, part = sp.indices, slice(0, PREFILTER)
        small = (values[:, part, None, :] == idx[None, part, :, None]) & sp.pvalid[part]
        rows = np.nonzero((self._scores(small, targets, part) >= PREFILTER_PASS).any(axis=1))[0]
        if not len(rows):
            return
        sels = (values[rows][:, :, None, :] == idx[None, :, :, None]) & sp.pvalid

        def node(j: int) -> Callable[[], Node]:
            return lambda: Select(self._node(refs[j]), indices, EQ)
        self._sels_vs_targets(cost + w_sel, sels, node, targets, rows)

    # --- numbers ------------------------------------------------------------------------
    def _invert_binary(self, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        """y = x op p: compute the partner p each op needs and look it up in the bank."""
        sp = self.space
        y = sp.y[NUM]
        valid = sp.valid
        nonzero = (np.abs(values) > TOL) | ~valid
        x_nonzero = nonzero.reshape(len(values), -1).all(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            wants = [("add", y - values, True, None), ("sub", values - y, True, None),
                     ("sub", y + values, False, None), ("mul", y / values, True, x_nonzero),
                     ("div", y * values, False, x_nonzero)]
            if self.y_nonzero:
                # y = x / p: x is y * p, never 0 where y is not
                wants.append(("div", values / y, True, x_nonzero))
        w = self.grammar.cost("binary")
        for op, partner, x_first, rows_ok in wants:
            partner = np.where(valid, partner, 0.0)
            finite = np.isfinite(partner).reshape(len(values), -1).all(axis=1)
            if rows_ok is not None:
                finite &= rows_ok
            if not finite.any():
                continue
            rows = np.nonzero(finite)[0]
            found = self.bank.lookup(NUM, sp.sop_prints(partner[rows]))
            for i, pref in zip(rows.tolist(), found):
                if pref is None:
                    continue
                x_ref = refs[i]

                def build(x_ref: Ref = x_ref, pref: Ref = pref, op: str = op,
                          x_first: bool = x_first) -> Node:
                    a, b = self.bank.node(x_ref), self.bank.node(pref)
                    return SequenceMap(binary(op), *((a, b) if x_first else (b, a)))
                self.propose(Candidate(build, cost + pref[1] + w, 1.0, "inverse"))


def _wraps(space: Space) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """For numeric tokens and outputs, the ways the output may be the token combined with a
    fetched value `f`: (op, where the output pins `f` down, the `f` wanted there, where
    fetching nothing (0) gives the output). `max(tokens, f)` when the output is never below
    the token; `tokens * f` when it is 0 wherever the token is; `tokens / f` (0 where f is 0)
    when it is 0 exactly where the token is."""
    if space.token_kind != NUM or space.y_kind != NUM:
        return []
    y, x, valid = space.y[NUM], space.tokens, space.valid
    if np.isnan(y[valid]).any() or (np.abs(y - x)[valid] <= TOL).all():
        return []
    out = []
    zero_y, zero_x = (np.abs(y) <= TOL) & valid, (np.abs(x) <= TOL) & valid
    if (y >= x - TOL)[valid].all():
        differs = (np.abs(y - x) > TOL) & valid
        out.append(("max", differs, y, (np.abs(np.maximum(x, 0) - y) <= TOL) & valid))
    with np.errstate(all="ignore"):
        if not (zero_x & ~zero_y).any() and (valid & ~zero_x).any():
            care = valid & ~zero_x
            out.append(("mul", care, np.where(care, y / np.where(care, x, 1), 0), zero_y))
        if (zero_x == zero_y).all() and (valid & ~zero_y).any():
            care = valid & ~zero_y
            out.append(("div", care, np.where(care, x / np.where(care, y, 1), 0), zero_y))
    return out


def _slots(targets: list[Target]) -> list[int]:
    """The default slots worth scoring: the first, and any later one that some target fills
    with a value of its own (slots repeat the first default when a target has fewer)."""
    return [0] + [d for d in range(1, MAX_DEFAULTS)
                  if any(not _exact(t.defaults[d], t.defaults[0]) for t in targets)]


def _best(accs: list[np.ndarray], slots: np.ndarray, which: bool
          ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """The best of several (m, T) accuracies (one per default slot scored), and its slot."""
    stack = np.stack(accs)
    return (stack.max(axis=0), slots[stack.argmax(axis=0)]) if which else stack.max(axis=0)

