"""Case splits: an output with a few distinct values as a decision list of boolean sub-goals.

`y = c1 if b1 else (c2 if b2 else c3)`: each `b` is a boolean goal (wanted values on the
positions that matter, don't-care elsewhere) that a new bank value meets directly, negated, as a
threshold (`v > c`), or as an equality with a constant (`v == c`). A goal that switches on and
stays on along each input ("F once some prefix broke") also becomes a sub-goal one step lower:
`aggregate(select(indices, indices, <=), indicator(h)) > 0` with `h` true where it first switches
on and false before. This works backwards from the output further than a single last step, so
programs such as dyck1's, whose pieces sit at cost 7-9, are found at that cost instead of 15+.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from rasplab.lang.ast import NUMERICAL, Aggregate, Map, Node, Select, SequenceMap, indices
from rasplab.lang.functions import LE, SLOT0, Const, Fn, Slot, unary
from rasplab.synth.bottomup.bank import Bank, Ref
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.values import BOOL, NUM, Space

#: outputs with at most this many distinct values are split into decision lists
MAX_CLASSES = 4
#: the first examples looked at before all of them (cheap rejection)
PREFILTER = 4
TOL = 1e-6

Builder = Callable[[], Node]


@dataclass
class BoolGoal:
    """Wanted booleans on the positions in `care`; the cheapest program found that meets them."""

    want: np.ndarray  # bool (B, N)
    care: np.ndarray  # bool (B, N), within the valid positions
    name: str
    #: called with (cost, builder) when this goal gets a cheaper solution
    on_solved: list[Callable[[int, Builder], None]] = field(default_factory=list)
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
                 propose: Callable[[Any], None]):
        from rasplab.synth.bottomup.goal import Candidate  # the goal module imports this one

        self.space, self.bank, self.grammar, self.propose = space, bank, grammar, propose
        self._candidate = Candidate
        self.goals: list[BoolGoal] = []
        classes = list(range(len(space.y_table)))
        self.classes = classes
        self.active = 2 <= len(classes) <= MAX_CLASSES
        if not self.active:
            return
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
                self.goals.append(goal)
                self._add_prefix_subgoals(goal)
        prefix_sel = Select(indices, indices, LE)
        self.prefix_sel = prefix_sel
        self.prefix_cost = grammar.cost("select") + grammar.cost("indices")

    # --- goals ----------------------------------------------------------------------------
    def _add_prefix_subgoals(self, goal: BoolGoal) -> None:
        """`goal = ever(h)` or `goal = not ever(h)` when the goal switches on (off) for good."""
        for negate in (False, True):
            want = ~goal.want if negate else goal.want
            sub = _monotone_subgoal(want, goal.care)
            if sub is None:
                continue
            child = BoolGoal(sub[0], sub[1], f"first step of {goal.name}")
            child.on_solved.append(
                lambda c, b, goal=goal, negate=negate: goal.offer(*self._ever(c, b, negate)))
            self.goals.append(child)

    def _ever(self, cost: int, build: Builder, negate: bool) -> tuple[int, Builder]:
        """`aggregate(prefix, indicator(h)) > 0` (or `== 0`) from a builder of `h`."""
        g = self.grammar
        extra = (g.cost("map.indicator") + g.cost("aggregate") + g.cost("map")
                 + self.prefix_cost)

        def ever() -> Node:
            h = build()
            seen = Aggregate(self.prefix_sel, Map(unary("indicator"), h).annotated(NUMERICAL),
                             0, encoding=NUMERICAL)
            return Map(Fn.of("eq" if negate else "gt", SLOT0, 0), seen)
        return cost + extra, ever

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
            self.propose(self._candidate(
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
        for goal in open_goals:
            part = slice(0, PREFILTER)
            rows = np.nonzero(self._fits(kind, values[:, part], goal.want[part],
                                         goal.care[part]).any(axis=1))[0]
            if not len(rows):
                continue
            fits = self._fits(kind, values[rows], goal.want, goal.care)
            for j, how in zip(*np.nonzero(fits)):
                i = int(rows[j])
                self._offer(goal, kind, cost, values[i], refs[i], int(how))

    #: the ways a value can meet a goal: as is, negated, `v > c`, `v < c`, `v == c`
    HOWS = ("same", "not", "above", "below", "equals")

    def _fits(self, kind: int, v: np.ndarray, want: np.ndarray, care: np.ndarray) -> np.ndarray:
        """(m, 5) which of HOWS make values `v` (m, B, N) meet the goal on `care`."""
        m = len(v)
        out = np.zeros((m, len(self.HOWS)), dtype=bool)
        t, f = care & want, care & ~want
        if not t.any() or not f.any():
            return out
        if kind == BOOL:
            b = v > 0.5
            out[:, 0] = ~((b != want) & care).any(axis=(1, 2))
            out[:, 1] = ~((b == want) & care).any(axis=(1, 2))
            return out
        vt = np.where(t, v, np.nan).reshape(m, -1)
        vf = np.where(f, v, np.nan).reshape(m, -1)
        with np.errstate(all="ignore"):
            min_t, max_t = np.nanmin(vt, axis=1), np.nanmax(vt, axis=1)
            min_f, max_f = np.nanmin(vf, axis=1), np.nanmax(vf, axis=1)
        if kind == NUM:
            out[:, 2] = max_f < min_t - TOL
            out[:, 3] = max_t < min_f - TOL
        single = max_t - min_t <= TOL
        clash = (np.abs(vf - min_t[:, None]) <= TOL).any(axis=1)
        out[:, 4] = single & ~clash
        return out

    def _offer(self, goal: BoolGoal, kind: int, cost: int, value: np.ndarray, ref: Ref,
               how: int) -> None:
        g, sp = self.grammar, self.space
        node = self.bank.node
        name = self.HOWS[how]
        if name == "same":
            goal.offer(cost, lambda: node(ref))
            return
        if name == "not":
            goal.offer(cost + g.cost("map.not"), lambda: Map(unary("not"), node(ref)))
            return
        t, f = goal.care & goal.want, goal.care & ~goal.want
        if name == "equals":
            c = sp.decode(float(value[t][0]), kind)
            goal.offer(cost + g.cost("map.eq"), lambda: Map(Fn.of("eq", SLOT0, c), node(ref)))
            return
        # a threshold: of the two constants that separate, prefer the rounder one
        if name == "above":
            options = [("gt", float(value[f].max())), ("ge", float(value[t].min()))]
        else:
            options = [("lt", float(value[f].min())), ("le", float(value[t].max()))]
        op, c = min(options, key=lambda oc: _roundness(oc[1]))
        const = sp.decode(round(c, 9), NUM)
        goal.offer(cost + g.cost("map." + op),
                   lambda: Map(Fn.of(op, SLOT0, const), node(ref)))


def _roundness(c: float) -> int:
    """0 for integers, 1 for halves, 2 otherwise: rounder thresholds generalise better."""
    if abs(c - round(c)) <= TOL:
        return 0
    if abs(2 * c - round(2 * c)) <= TOL:
        return 1
    return 2


__all__ = ["CaseSplit", "BoolGoal", "MAX_CLASSES"]
