"""Case splits: an output with a few distinct values as a decision list of boolean sub-goals.

`y = c1 if b1 else (c2 if b2 else c3)`: each `b` is a boolean goal (wanted values on the
positions that matter, don't-care elsewhere) that a new bank value meets directly, negated, as a
threshold (`v > c`), or as an equality with a constant (`v == c`). A goal that switches on and
stays on along each input ("F once some prefix broke") also becomes a sub-goal one step lower:
`aggregate(select(indices, indices, <=), indicator(h)) > 0` with `h` true where it first switches
on and false before; one constant along each input becomes "h somewhere" (`aggregate` over all
positions); and a cheap boolean true wherever the goal is (`tokens == "c"`) splits it into a
conjunction, `b and g2`, with `g2` the goal restricted to where `b` holds. Where the output is
one verdict per input, "h somewhere" is also met by an `or` of partial witnesses (sequential
covering): values never true on an accepted input, each true somewhere on part of the rejected
ones (shuffle_dyck2 breaks when either bracket type goes negative or is left open). Working
backwards this far below a single last step finds programs such as dyck1's, whose pieces sit at
cost 7-9, at that cost instead of 15+.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    Map,
    Node,
    Select,
    SequenceMap,
    indices,
    tokens,
)
from rasplab.lang.functions import LE, SLOT0, TRUE, Const, Fn, Slot, binary, unary
from rasplab.synth.bottomup.bank import Bank, Ref
from rasplab.synth.bottomup.candidate import Candidate
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.values import BOOL, CAT, NUM, TOL, Space

#: outputs with at most this many distinct values are split into decision lists
MAX_CLASSES = 4
#: the first examples looked at before all of them (cheap rejection)
PREFILTER = 4
#: sub-goals nest at most this deep below an output class
MAX_DEPTH = 2
#: at most this many conjunct sub-goals per goal (the cheapest conjuncts come first)
MAX_CONJUNCTS = 3
#: a prefix goal's first step ("the first closer whose bracket does not match") may be split
#: into conjuncts: a cheap boolean true wherever it is, and the rest
CONJOIN_FIRST_STEPS = True
#: ... but the rest of a conjunction of the output class itself may be split again, up to this
#: many conjuncts in all (a pattern of four tokens is four tests ANDed: `t == "a" and shift(t,
#: 1) == "b" and ...`); goals below other decompositions keep MAX_DEPTH (each goal costs checks)
MAX_CHAIN = 4
#: a conjunct must rule out at least this share of the positions the goal wants false
MIN_EXCLUDED = 0.5
#: an existential goal is also met by an `or` of at most this many partial witnesses (each
#: true somewhere on part of the examples it must accept, never where it must reject)
MAX_COVER = 6
#: a partial witness must cover at least this share of the examples the goal must accept
MIN_COVER = 0.2
#: partial witnesses kept per goal, and taken from one chunk of new values
MAX_WITNESSES, WITNESSES_PER_CHUNK = 256, 16

Builder = Callable[[], Node]


@dataclass
class BoolGoal:
    """Wanted booleans on the positions in `care`; the cheapest program found that meets them."""

    want: np.ndarray  # bool (B, N)
    care: np.ndarray  # bool (B, N), within the valid positions
    name: str
    #: (B,) examples that must hold a true value somewhere (an existential sub-goal), or None
    any_rows: np.ndarray | None = None
    #: how many decompositions lie between this goal and the output
    depth: int = 0
    #: conjunct sub-goals spawned from this goal so far
    conjuncts: int = 0
    #: a goal made by aggregating (prefix / anywhere) gets no aggregating sub-goals of its own
    leaf: bool = False
    #: ... but a prefix goal's first step may still be split into conjuncts ("a closer, and
    #: its bracket does not match"); an existential goal may not (its rows are not positions)
    conjoinable: bool = True
    #: conjuncts split off above this goal (the rest of `b1 and b2 and ...`)
    chain: int = 0
    #: called with (cost, builder) when this goal gets a cheaper solution
    on_solved: list[Callable[[int, Builder], None]] = field(default_factory=list)
    #: partial witnesses (see `CaseSplit._cover`): cost, builder and what each covers
    witness_costs: list[int] = field(default_factory=list)
    witness_builds: list[Builder] = field(default_factory=list)
    witness_masks: list[np.ndarray] = field(default_factory=list)
    cost: float = math.inf
    build: Builder | None = None

    def offer(self, cost: int, build: Builder) -> None:
        if cost < self.cost:
            self.cost, self.build = cost, build
            for notify in self.on_solved:
                notify(cost, build)


def _monotone_subgoal(want: np.ndarray, care: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For a goal that, along each input, is false then true: `h` true at the switch, false before.

    None when some input is true before it is false (no prefix-exists program can meet it) or
    when no input switches at all."""
    B, N = want.shape
    pos = np.arange(N)[None, :]
    falses = care & ~want
    trues = care & want
    last_false = np.where(falses, pos, -1).max(axis=1)
    first_true = np.where(trues, pos, N).min(axis=1)
    if (first_true <= last_false).any():
        return None
    sub_want = np.zeros_like(want)
    sub_care = pos <= last_false[:, None]
    rows = np.nonzero(first_true < N)[0]
    if not len(rows):
        return None
    sub_want[rows, first_true[rows]] = True
    sub_care = sub_care | sub_want
    return sub_want, sub_care


class CaseSplit:
    """The decision lists for one output, their boolean goals, and the checks of new values."""

    def __init__(self, space: Space, bank: Bank, grammar: Grammar,
                 propose: Callable[[Candidate], None]):
        self.space, self.bank, self.grammar, self.propose = space, bank, grammar, propose
        self.goals: list[BoolGoal] = []
        self.seen_conjuncts: set[tuple[int, bytes]] = set()
        classes = list(range(len(space.y_table)))
        self.classes = classes
        self.active = 2 <= len(classes) <= MAX_CLASSES
        if not self.active:
            return
        #: one verdict per input (a membership task such as shuffle_dyck): only then are
        #: existential goals met by an `or` of partial witnesses; on outputs that vary along
        #: the input, covering fits a noisy model's mistakes as readily as its rule
        first = np.where(space.valid, space.y_codes, -1).max(axis=1)
        self.per_input = bool((~space.valid | (space.y_codes == first[:, None])).all())
        codes, valid = space.y_codes, space.valid
        #: goal per ordered prefix of classes: "is class c_k, given not c_1 .. c_{k-1}"
        self.by_prefix: dict[tuple[int, ...], BoolGoal] = {}
        for k in range(1, len(classes)):
            for prefix in itertools.permutations(classes, k):
                care = valid & ~np.isin(codes, prefix[:-1])
                want = codes == prefix[-1]
                if not (care & want).any() or not (care & ~want).any():
                    continue
                goal = BoolGoal(want, care, f"is {space.y_table[prefix[-1]]!r}")
                goal.on_solved.append(lambda c, b, p=prefix: self._chain_progress(p))
                self.by_prefix[prefix] = goal
                self._add(goal)

    # --- goals ----------------------------------------------------------------------------
    def _add(self, goal: BoolGoal) -> None:
        """A goal and the sub-goals that its shape allows (one step lower each)."""
        self.goals.append(goal)
        if goal.depth < MAX_DEPTH and not goal.leaf:
            self._add_prefix_subgoals(goal)
            self._add_anywhere_subgoals(goal)
        self._goal_vs_bank(goal)

    def _add_anywhere_subgoals(self, goal: BoolGoal) -> None:
        """`goal = somewhere(h)` or `not somewhere(h)` when the goal is one value per input."""
        sp = self.space
        cared = goal.care.any(axis=1)
        lo = np.where(goal.care, goal.want, True).all(axis=1)
        hi = np.where(goal.care, goal.want, False).any(axis=1)
        if not (lo | ~hi)[cared].all():  # some input wants both values
            return
        true_rows = cared & hi
        for negate in (False, True):
            on, off = (~true_rows & cared, true_rows) if negate else (true_rows, ~true_rows & cared)
            if not on.any() or not off.any():
                continue
            child = BoolGoal(np.zeros_like(goal.want), sp.valid & off[:, None],
                             f"somewhere for {goal.name}", any_rows=on, depth=goal.depth + 1,
                             leaf=True, conjoinable=False)
            child.on_solved.append(
                lambda c, b, goal=goal, negate=negate: goal.offer(*self._ever(c, b, negate,
                                                                              everywhere=True)))
            self._add(child)

    def _add_prefix_subgoals(self, goal: BoolGoal) -> None:
        """`goal = ever(h)` or `goal = not ever(h)` when the goal switches on (off) for good."""
        for negate in (False, True):
            want = ~goal.want if negate else goal.want
            sub = _monotone_subgoal(want, goal.care)
            if sub is None:
                continue
            child = BoolGoal(sub[0], sub[1], f"first step of {goal.name}",
                             depth=goal.depth + 1, leaf=True, conjoinable=CONJOIN_FIRST_STEPS)
            child.on_solved.append(
                lambda c, b, goal=goal, negate=negate: goal.offer(*self._ever(c, b, negate)))
            self._add(child)

    def _ever(self, cost: int, build: Builder, negate: bool,
              everywhere: bool = False) -> tuple[int, Builder]:
        """`aggregate(prefix, indicator(h)) > 0` (or `== 0`; all positions if `everywhere`)."""
        g = self.grammar
        extra = (g.cost("map.indicator") + g.cost("aggregate") + g.cost("map")
                 + g.cost("select") + g.cost("indices"))
        sel = Select(tokens, tokens, TRUE) if everywhere else Select(indices, indices, LE)

        def ever() -> Node:
            h = build()
            seen = Aggregate(sel, Map(unary("indicator"), h).annotated(NUMERICAL),
                             0, encoding=NUMERICAL)
            return Map(Fn.of("eq" if negate else "gt", SLOT0, 0), seen)
        return cost + extra, ever

    def _add_conjunct(self, goal: BoolGoal, b: np.ndarray, cost: int, build: Builder) -> None:
        """`goal = b and g2`: a sub-goal g2, the goal where `b` holds, finished by `b`."""
        key = (id(goal), np.packbits(b & goal.care).tobytes())
        if key in self.seen_conjuncts:  # the same split reached by another program
            return
        self.seen_conjuncts.add(key)
        goal.conjuncts += 1
        child = BoolGoal(goal.want, goal.care & b, f"{goal.name} where a conjunct holds",
                         depth=goal.depth + 1, chain=goal.chain + 1)
        extra = cost + self.grammar.cost("binary.and")

        def done(c: int, b2: Builder, goal: BoolGoal = goal) -> None:
            goal.offer(c + extra, lambda: SequenceMap(binary("and"), build(), b2()))
        child.on_solved.append(done)
        self._add(child)

    def _goal_vs_bank(self, goal: BoolGoal) -> None:
        """A goal made mid-search against the values already in the bank, cheapest first."""
        costs = sorted({c for k in (NUM, BOOL, CAT) for c in self.bank.costs(k)})
        for c in costs:
            for kind in (NUM, BOOL, CAT):
                if goal.cost <= c:
                    return
                for vals, refs in self.bank.chunks(kind, c, 4096):
                    self._check_goal(goal, kind, c, vals, refs)
                    if self.per_input:
                        self._cover(goal, kind, c, vals, refs)

    def _chain_progress(self, prefix: tuple[int, ...]) -> None:
        """Propose every complete decision list that the newly solved goal belongs to."""
        K = len(self.classes)
        for order in itertools.permutations(self.classes):
            if order[: len(prefix)] != prefix:
                continue
            goals = [self.by_prefix.get(order[: k + 1]) for k in range(K - 1)]
            if any(g is None or g.build is None for g in goals):
                continue
            cost = int(sum(g.cost for g in goals)) + (K - 1) * self.grammar.cost("table.pair")
            self.propose(Candidate(
                lambda order=order, goals=goals: self._decision_list(order, goals),
                cost, 1.0, "direct"))

    def _decision_list(self, order: tuple[int, ...], goals: list[BoolGoal]) -> Node:
        values = [self.space.y_table[c] for c in order]
        node: Node | None = None
        for k in range(len(goals) - 1, -1, -1):
            cond = goals[k].build()
            if node is None:  # the innermost test chooses between the last two values
                node = Map(Fn("ifelse", (Const(values[k]), Slot(0), Const(values[k + 1]))),
                           cond)
            else:
                node = SequenceMap(Fn("ifelse", (Const(values[k]), Slot(0), Slot(1))),
                                   cond, node)
        return node

    # --- checks of new values -------------------------------------------------------------
    def check(self, kind: int, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        """Offer every open goal the new values that meet it (directly or via one map)."""
        if not self.active:
            return
        open_goals = [g for g in self.goals if g.cost > cost]
        if not open_goals:
            return
        passed = self._prefilter(kind, values, open_goals)
        for g, goal in enumerate(open_goals):
            self._check_goal(goal, kind, cost, values, refs, np.nonzero(passed[:, g])[0])
            if self.per_input and goal.cost > cost:
                self._cover(goal, kind, cost, values, refs)

    def _prefilter(self, kind: int, values: np.ndarray, goals: list[BoolGoal]) -> np.ndarray:
        """(m, G) whether each value could meet each goal, judged on the first examples at once.

        A necessary condition only (existential goals and goals without both wanted values
        among the first examples always pass); `_fits` decides on all examples."""
        part = slice(0, PREFILTER)
        m = len(values)
        v = values[:, part].reshape(m, -1)
        want = np.stack([g.want[part].ravel() for g in goals])
        care = np.stack([g.care[part].ravel() for g in goals])
        t, f = care & want, care & ~want
        exist = np.array([g.any_rows is not None for g in goals])
        somewhere = np.stack([
            (self.space.valid[part] & g.any_rows[part][:, None]).ravel()
            if g.any_rows is not None else np.zeros(v.shape[1], dtype=bool) for g in goals])
        open_ = np.where(exist, ~somewhere.any(axis=1), ~t.any(axis=1) | ~f.any(axis=1))
        if kind == BOOL:
            b = (v > 0.5).astype(np.float32)
            tf, ff = t.astype(np.float32).T, f.astype(np.float32).T
            on_t, on_f = b @ tf, b @ ff
            same = (on_f < 0.5) & (on_t > tf.sum(axis=0) - 0.5)
            negated = (on_t < 0.5) & (on_f > ff.sum(axis=0) - 0.5)
            some = b @ somewhere.astype(np.float32).T
            n_some = somewhere.sum(axis=1)
            ex = (on_f < 0.5) & (some > 0.5) | (on_f > ff.sum(axis=0) - 0.5) \
                & (some < n_some - 0.5)
            return np.where(exist, ex, same | negated) | open_
        out = np.empty((m, len(goals)), dtype=bool)
        for s in range(0, m, 512):
            x = v[s: s + 512, None, :]  # (ms, 1, P)
            min_t, max_t = _masked_extremes(x[:, 0], t)
            min_f, max_f = _masked_extremes(x[:, 0], f)
            # equals (one value on the wanted positions that no unwanted one holds) or differs
            # (the mirror image); the clash is looked for only where the value is single
            ok = _single_without_clash(x[:, 0], min_t, max_t, f) \
                | _single_without_clash(x[:, 0], min_f, max_f, t)
            if kind == NUM:
                ok |= (max_f < min_t - TOL) | (max_t < min_f - TOL)
                if exist.any():
                    top = np.where(somewhere, x, -np.inf).max(axis=2)
                    bottom = np.where(somewhere, x, np.inf).min(axis=2)
                    ex = (max_f < top - TOL) | (min_f > bottom + TOL)
                    ok = np.where(exist, ex, ok)
            else:
                ok &= ~exist
            out[s: s + 512] = ok
        return out | open_

    def _check_goal(self, goal: BoolGoal, kind: int, cost: int, values: np.ndarray,
                    refs: list[Ref], rows: np.ndarray | None = None) -> None:
        """One goal against a chunk of values of one kind and cost (`rows` prefiltered)."""
        if rows is None:
            part = slice(0, PREFILTER)
            rows = np.nonzero(self._fits(kind, values[:, part], goal, part).any(axis=1))[0]
        if len(rows):
            fits = self._fits(kind, values[rows], goal, slice(None))
            for j, how in zip(*np.nonzero(fits)):
                i = int(rows[j])
                self._offer(goal, kind, cost, values[i], refs[i], int(how))
        chained = goal.depth == goal.chain < MAX_CHAIN - 1
        if goal.conjoinable and (goal.depth < MAX_DEPTH or chained) \
                and goal.conjuncts < MAX_CONJUNCTS and goal.cost > cost:
            self._conjuncts(goal, kind, cost, values, refs)

    #: the ways a value can meet a goal: as is, negated, `v > c`, `v < c`, `v == c`, `v != c`
    HOWS = ("same", "not", "above", "below", "equals", "differs")

    def _fits(self, kind: int, v: np.ndarray, goal: BoolGoal, part: slice) -> np.ndarray:
        """(m, 6) which of HOWS make values `v` (m, b, N) meet the goal on examples `part`."""
        want, care = goal.want[part], goal.care[part]
        rows = None if goal.any_rows is None else goal.any_rows[part]
        m = len(v)
        out = np.zeros((m, len(self.HOWS)), dtype=bool)
        t, f = care & want, care & ~want
        if rows is None and (not t.any() or not f.any()):
            return out
        valid = self.space.valid[part]
        if kind == BOOL:
            b = v > 0.5
            for col, bb in ((0, b), (1, ~b)):
                ok = ~((bb != want) & care).any(axis=(1, 2))
                if rows is not None:
                    ok &= (bb & valid).any(axis=2)[:, rows].all(axis=1)
                out[:, col] = ok
            return out
        flat = v.reshape(m, -1)
        vf = flat[:, np.flatnonzero(f)]  # gathered: bank values are finite where they count
        min_f, max_f = _extremes(vf)
        if rows is not None:  # some position of each such example must pass
            if not rows.any() or kind != NUM:
                return out
            top = np.where(valid, v, -np.inf).max(axis=2)[:, rows].min(axis=1)
            bottom = np.where(valid, v, np.inf).min(axis=2)[:, rows].max(axis=1)
            out[:, 2] = (max_f < top - TOL) | ~np.isfinite(max_f) & np.isfinite(top)
            out[:, 3] = (min_f > bottom + TOL) | ~np.isfinite(min_f) & np.isfinite(bottom)
            return out
        vt = flat[:, np.flatnonzero(t)]
        min_t, max_t = _extremes(vt)
        if kind == NUM:
            out[:, 2] = max_f < min_t - TOL
            out[:, 3] = max_t < min_f - TOL
        single = max_t - min_t <= TOL
        clash = (np.abs(vf - min_t[:, None]) <= TOL).any(axis=1)
        out[:, 4] = single & ~clash
        # the mirror image: every unwanted position holds one value that no wanted one holds
        single_f = max_f - min_f <= TOL
        clash_f = (np.abs(vt - min_f[:, None]) <= TOL).any(axis=1)
        out[:, 5] = single_f & ~clash_f
        return out

    def _conjuncts(self, goal: BoolGoal, kind: int, cost: int, values: np.ndarray,
                   refs: list[Ref]) -> None:
        """Booleans true wherever the goal is, that rule out much of the rest: split on them."""
        t, f = goal.care & goal.want, goal.care & ~goal.want
        n_false = f.sum()
        if not t.any() or not n_false:
            return
        tv = values[:, t]  # (m, P): one value on every wanted position
        keep = np.nonzero((np.abs(tv - tv[:, :1]) <= TOL).all(axis=1))[0]
        if not len(keep):
            return
        values, refs = values[keep], [refs[i] for i in keep.tolist()]
        if kind == BOOL:
            b = values > 0.5
            options = [(b, "same"), (~b, "not")]
        else:
            b = np.abs(values - values[:, t][:, :1, None]) <= TOL
            options = [(b, "equals")]
        for bb, how in options:
            holds = (bb | ~t).all(axis=(1, 2))
            excluded = (~bb & f).sum(axis=(1, 2)) / n_false
            for i in np.nonzero(holds & (excluded >= MIN_EXCLUDED) & (excluded < 1.0))[0]:
                if goal.conjuncts >= MAX_CONJUNCTS:
                    return
                i = int(i)
                build = self._builder(kind, values[i], refs[i], how, goal)
                self._add_conjunct(goal, bb[i], cost + self._how_cost(how), build)

    # --- disjunctions of partial witnesses ---------------------------------------------------
    def _cover(self, goal: BoolGoal, kind: int, cost: int, values: np.ndarray,
               refs: list[Ref]) -> None:
        """Sequential covering: values that meet part of an existential goal join an `or`.

        A verdict per input ("h somewhere") often holds for several unrelated reasons
        (shuffle_dyck2 fails when either bracket type goes negative or is left open). A value
        that is never true where the goal wants false, and true somewhere on some of the
        examples that need a true position, is kept as a witness; when a few witnesses cover
        all those examples, their `or` meets the goal."""
        if kind == CAT or not len(values) or goal.any_rows is None:
            return
        units = goal.any_rows  # (B,): examples that need a true position
        n_units = int(units.sum())
        if n_units < 2:
            return
        f = goal.care & ~goal.want
        if kind == BOOL:
            b = values > 0.5
            options = [("same", b), ("not", ~b)]
        else:
            with np.errstate(invalid="ignore"):  # NaN values (0 / 0) compare as False
                max_f = np.where(f, values, -np.inf).max(axis=(1, 2))
                min_f = np.where(f, values, np.inf).min(axis=(1, 2))
                options = [("above", values > max_f[:, None, None] + TOL),
                           ("below", values < min_f[:, None, None] - TOL)]
        for how, on in options:
            clean = ~(on & f).any(axis=(1, 2))
            covered = (on & self.space.valid).any(axis=2) & units[None]  # (m, B)
            n = covered.sum(axis=1)
            ok = clean & (n >= max(1, MIN_COVER * n_units)) & (n < n_units)
            rows = np.nonzero(ok)[0]
            rows = rows[np.argsort(-n[rows], kind="stable")[:WITNESSES_PER_CHUNK]]
            for i in rows.tolist():
                # the goal narrowed to the examples this value covers picks its threshold
                part = BoolGoal(goal.want, goal.care, goal.name, any_rows=covered[i])
                build = self._builder(kind, values[i], refs[i], how, part)
                self._add_witness(goal, cost + self._how_cost(how), build, covered[i])

    def _add_witness(self, goal: BoolGoal, cost: int, build: Builder, mask: np.ndarray) -> None:
        """Keep a witness unless a kept one as cheap covers as much; then try to cover."""
        if goal.witness_masks:
            masks = np.stack(goal.witness_masks)
            costs = np.array(goal.witness_costs)
            dominated = ((masks | ~mask[None]).all(axis=1) & (costs <= cost)).any()
            if dominated or len(goal.witness_masks) >= MAX_WITNESSES:
                return
        goal.witness_costs.append(cost)
        goal.witness_builds.append(build)
        goal.witness_masks.append(mask)
        self._try_cover(goal)

    def _try_cover(self, goal: BoolGoal) -> None:
        """Greedy set cover (most new coverage, then cheapest) with at most MAX_COVER
        witnesses."""
        masks = np.stack(goal.witness_masks)
        costs = np.array(goal.witness_costs, dtype=np.float64)
        uncovered = goal.any_rows.copy()
        picks: list[int] = []
        while uncovered.any() and len(picks) < MAX_COVER:
            gain = (masks & uncovered[None]).sum(axis=1)
            if gain.max() == 0:
                return
            j = int(np.lexsort((costs, -gain))[0])  # most new coverage, then cheapest
            picks.append(j)
            uncovered &= ~masks[j]
        if uncovered.any():
            return
        w_or = self.grammar.cost("binary.or")
        total = int(costs[picks].sum()) + w_or * (len(picks) - 1)
        if total >= goal.cost:
            return
        builds = [goal.witness_builds[j] for j in picks]

        def either() -> Node:
            node = builds[0]()
            for b in builds[1:]:
                node = SequenceMap(binary("or"), node, b())
            return node
        goal.offer(total, either)

    def _how_cost(self, how: str) -> int:
        g = self.grammar
        return {"same": 0, "not": g.cost("map.not"), "equals": g.cost("map.eq"),
                "differs": g.cost("map.ne"), "above": g.cost("map.gt"),
                "below": g.cost("map.lt")}[how]

    def _offer(self, goal: BoolGoal, kind: int, cost: int, value: np.ndarray, ref: Ref,
               how: int) -> None:
        name = self.HOWS[how]
        goal.offer(cost + self._how_cost(name), self._builder(kind, value, ref, name, goal))

    def _builder(self, kind: int, value: np.ndarray, ref: Ref, how: str,
                 goal: BoolGoal) -> Builder:
        """The boolean program `how` makes of bank value `ref` for `goal`."""
        sp, node = self.space, self.bank.node
        if how == "same":
            return lambda: node(ref)
        if how == "not":
            return lambda: Map(unary("not"), node(ref))
        t, f = goal.care & goal.want, goal.care & ~goal.want
        if how == "equals":
            c = sp.decode(float(value[t][0]), kind)
            return lambda: Map(Fn.of("eq", SLOT0, c), node(ref))
        if how == "differs":
            c = sp.decode(float(value[f][0]), kind)
            return lambda: Map(Fn.of("ne", SLOT0, c), node(ref))
        # a threshold: of the constants that separate, prefer the rounder one
        if goal.any_rows is not None:
            some = sp.valid & goal.any_rows[:, None]  # every such example has a position
            if how == "above":
                top = float(np.where(some, value, -np.inf).max(axis=1)[goal.any_rows].min())
                options = [("gt", float(value[f].max())) if f.any() else ("ge", top),
                           ("ge", top)]
            else:
                bottom = float(np.where(some, value, np.inf).min(axis=1)[goal.any_rows].max())
                options = [("lt", float(value[f].min())) if f.any() else ("le", bottom),
                           ("le", bottom)]
        elif how == "above":
            options = [("gt", float(value[f].max())), ("ge", float(value[t].min()))]
        else:
            options = [("lt", float(value[f].min())), ("le", float(value[t].max()))]
        op, c = min(options, key=lambda oc: _roundness(oc[1]))
        const = sp.decode(round(c, 9), NUM)
        return lambda: Map(Fn.of(op, SLOT0, const), node(ref))


def _extremes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row minima and maxima of `x` (m, P); +inf and -inf for no columns."""
    if x.shape[1] == 0:
        return np.full(len(x), np.inf), np.full(len(x), -np.inf)
    return x.min(axis=1), x.max(axis=1)


def _masked_extremes(x: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m, G) minimum and maximum of values `x` (m, P) over each mask (G, P) (+-inf if empty).

    Gathering each goal's few positions beats broadcasting (m, G, P) copies."""
    m, G = len(x), len(masks)
    lo, hi = np.full((m, G), np.inf), np.full((m, G), -np.inf)
    for g in range(G):
        cols = np.flatnonzero(masks[g])
        if len(cols):
            xs = x[:, cols]
            lo[:, g], hi[:, g] = xs.min(axis=1), xs.max(axis=1)
    return lo, hi


def _single_without_clash(x: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                          other: np.ndarray) -> np.ndarray:
    """(m, G): values `x` (m, P) one value (lo == hi) on a goal's positions, held nowhere on
    the goal's `other` positions (G, P)."""
    single = hi - lo <= TOL
    i, g = np.nonzero(single)
    if len(i):
        clash = ((np.abs(x[i] - lo[i, g][:, None]) <= TOL) & other[g]).any(axis=1)
        single[i[clash], g[clash]] = False
    return single


def _roundness(c: float) -> int:
    """0 for integers, 1 for halves, 2 otherwise: rounder thresholds generalise better."""
    if abs(c - round(c)) <= TOL:
        return 0
    if abs(2 * c - round(2 * c)) <= TOL:
        return 1
    return 2


__all__ = ["CaseSplit", "BoolGoal", "MAX_CLASSES"]
