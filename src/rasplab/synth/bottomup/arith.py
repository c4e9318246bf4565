"""Numeric last steps: arithmetic of one new number, or of a new number and a cheap one.

A number `x` whose values the output is an affine function of (`c * x + d`), a remainder
(`x % c`) or a quotient (`floor(x / c)`) of, with constants read off the examples, finishes the
program at once; so does `x op p` for a cheap number `p` kept in a small pool, with `op` a
product, a sum or difference, a minimum, a maximum, or a division or remainder guarded where
the divisor can be zero (taking there the output's own value: a compiled model's fill where a
division has no value). These are the steps a lookup table over `x` would otherwise take, and
they are cheaper and total. An output that is a running mean (`frac_prevs`) is inverted to the
values averaged, which a new number (or a table of the tokens) may hold.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np

from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    IndicesType,
    LengthType,
    Map,
    Node,
    Select,
    SelectorWidth,
    SequenceMap,
    indices,
    numerical,
    tokens,
)
from rasplab.lang.functions import LE, SLOT0, SLOT1, Const, Fn, binary, unary
from rasplab.lang.values import is_number
from rasplab.synth.bottomup.bank import Bank, Ref
from rasplab.synth.bottomup.candidate import Candidate
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.synth.bottomup.values import BOOL, NUM, TOL, Space

#: cheap numbers kept as partners of the binary last steps
POOL = 128
#: divisors tried for remainders and quotients
MAX_DIVISOR = 16
#: positions looked at before all of them (cheap rejection)
PROBE = 5
#: binary last steps `x op p` ("r": `p op x`); the guarded ones take the output's own value where
#: the divisor is zero
PAIR_OPS = ("mul", "add", "sub", "rsub", "min", "max", "div", "rdiv", "mod", "rmod")
GUARDED = ("div", "rdiv", "mod", "rmod")
#: whether a running-mean output is inverted to the values averaged (a switch for tests that
#: measure how other parts of the search, e.g. a learned library, reach such programs)
RUNNING_MEANS = True
#: new numbers checked against the pool at once (bounds the memory of one broadcast)
CHUNK = 128


def nice(v: float) -> int | float:
    """A constant read off the examples, as an int when it is one."""
    r = round(float(v))
    return r if abs(v - r) <= TOL else round(float(v), 6)


def guarded_div(x: Node, p: Node, at_zero: Any, op: str = "div") -> Node:
    """`at_zero if p == 0 else x / p` (or `x % p` for op "mod"), evaluated without dividing by
    zero anywhere."""
    zero = Map(Fn.of("eq", SLOT0, 0), p)
    safe = SequenceMap(binary("add"), p, Map(unary("indicator"), zero))
    quotient = SequenceMap(binary(op), x, safe)
    return SequenceMap(Fn("ifelse", (Const(at_zero), SLOT0, SLOT1)), zero, quotient)


def positive(node: Node) -> bool:
    """Whether `node` is above zero on every input, by its form: `length`, or a positive
    constant added to (or a product of) something never negative (`indices`, a width)."""
    if isinstance(node, LengthType):
        return True
    if not isinstance(node, Map) or node.fn.op not in ("add", "mul"):
        return False
    consts = [a.value for a in node.fn.args if isinstance(a, Const)]
    if len(consts) != 1 or not is_number(consts[0]) or consts[0] <= 0:
        return False
    arg = node.arg
    return positive(arg) or (node.fn.op == "add" and (
        isinstance(arg, IndicesType | SelectorWidth) or nonnegative_map(arg)))


def nonnegative_map(node: Node) -> bool:
    """`indicator(...)`: never negative."""
    return isinstance(node, Map) and node.fn.op == "indicator"


class NumericGoal:
    """Checks new numbers against a numeric output and proposes arithmetic last steps."""

    def __init__(self, space: Space, bank: Bank, grammar: Grammar,
                 propose: Callable[[Candidate], None]):
        self.space, self.bank, self.grammar, self.propose = space, bank, grammar, propose
        #: boolean outputs: whether one number divides another ("a multiple of the first")
        self.boolean = space.y_kind == BOOL
        self.y = space.y[BOOL if self.boolean else NUM][space.valid]
        self.active = space.y_kind in (NUM, BOOL) and bool(np.isfinite(self.y).all())
        #: (ref, cost) and flat values of the cheapest numbers seen
        self.pool: list[tuple[Ref, int]] = []
        self.pool_values = np.zeros((0, len(self.y)))
        #: the values whose running mean (over the keys up to each query) the output is, and the
        #: tolerance they are read to (an output to 6 decimals, times up to N keys)
        self.prefix = self._prefix_values() if self.active and not self.boolean else None
        self.prefix_tol = 2 * TOL * space.N
        self.prefix_table_tried = False
        #: a few positions spread over the examples, looked at before all of them
        self.probe = np.unique(np.linspace(0, len(self.y) - 1, PROBE).astype(np.int64))

    def check(self, cost: int, values: np.ndarray, refs: list[Ref]) -> None:
        if not self.active:
            return
        xv = values[:, self.space.valid]
        varying = np.ptp(xv, axis=1) > TOL
        if not varying.any():
            return
        rows = np.nonzero(varying)[0]
        xv = xv[rows]
        refs = [refs[i] for i in rows.tolist()]
        if self.boolean:
            self._divides(cost, xv, refs)
        else:
            self._running_mean(cost, xv, refs)
            self._affine(cost, xv, refs)
            self._divisions(cost, xv, refs)
            self._pairs(cost, xv, refs)
        room = POOL - len(self.pool)
        if room > 0:
            self.pool.extend((r, cost) for r in refs[:room])
            self.pool_values = np.concatenate([self.pool_values, xv[:room]])

    # --- one number ----------------------------------------------------------------------
    def _prefix_values(self) -> np.ndarray:
        """v with y[q] = mean(v[0..q]): the differences of the running sums (q + 1) * y[q]."""
        sp = self.space
        total = np.where(sp.valid, sp.y[NUM], 0.0) * (np.arange(sp.N) + 1)[None]
        before = np.concatenate([np.zeros((sp.B, 1)), total[:, :-1]], axis=1)
        return (total - before)[sp.valid]

    def _running_mean(self, cost: int, xv: np.ndarray, refs: list[Ref]) -> None:
        """y = the mean of x over the positions up to here (Tracr's frac_prevs): working
        backwards, x is the output's running sums' differences."""
        if self.prefix is None or not RUNNING_MEANS:
            return
        if not self.prefix_table_tried:
            self.prefix_table_tried = True
            self._running_mean_of_a_token_table()
        fits = (np.abs(xv - self.prefix[None]) <= self.prefix_tol).all(axis=1)
        g = self.grammar
        extra = g.cost("aggregate") + g.cost("select") + g.cost("indices")
        for i in np.nonzero(fits)[0].tolist():
            self.propose(Candidate(partial(self._running_mean_node, refs[i]), cost + extra, 1.0,
                                   "arith"))

    def _running_mean_of_a_token_table(self) -> None:
        """y = the running mean of a table of the tokens (the share so far of a class of tokens
        too large to enumerate), when the tokens determine the values x must take."""
        sp = self.space
        toks = [t for x in sp.inputs for t in x]
        table: dict = {}
        for t, v in zip(toks, self.prefix.tolist()):
            r = round(v) if abs(v - round(v)) <= self.prefix_tol else v  # amplified rounding
            if abs(table.setdefault((type(t).__name__, t), (t, r))[1] - r) > self.prefix_tol:
                return
        if len({v for _, v in table.values()}) < 2:
            return
        values = dict(sorted(table.values(), key=lambda tv: str(tv[0])))
        fn = Fn.table(values)
        g = self.grammar
        cost = (g.cost("tokens") + g.cost("map.tokens") + g.table_cost(fn) + g.cost("aggregate")
                + g.cost("select") + g.cost("indices"))
        node = Aggregate(Select(indices, indices, LE), numerical(Map(fn, tokens)), 0,
                         encoding=NUMERICAL)
        self.propose(Candidate(lambda: node, cost, 1.0, "arith"))

    def _running_mean_node(self, ref: Ref) -> Node:
        prevs = Select(indices, indices, LE)
        return Aggregate(prevs, numerical(self.bank.node(ref)), 0, encoding=NUMERICAL)

    def _affine(self, cost: int, xv: np.ndarray, refs: list[Ref]) -> None:
        """y = c * x + d, with c and d from the extreme values of x."""
        y = self.y
        lo, hi = xv.argmin(axis=1), xv.argmax(axis=1)
        r = np.arange(len(xv))
        c = (y[hi] - y[lo]) / (xv[r, hi] - xv[r, lo])
        d = y[lo] - c * xv[r, lo]
        fits = (np.abs(c[:, None] * xv + d[:, None] - y[None]) <= TOL).all(axis=1)
        fits &= np.abs(c) > TOL
        for i in np.nonzero(fits)[0].tolist():
            cc, dd = nice(c[i]), nice(d[i])
            if cc == 1 and dd == 0:
                continue  # the number is the output: a direct answer
            if not np.allclose(cc * xv[i] + dd, y, atol=TOL):
                continue
            steps = (cc != 1) + (dd != 0)
            self.propose(Candidate(partial(self._affine_node, refs[i], cc, dd),
                                   cost + steps * self.grammar.cost("map"), 1.0, "arith"))

    def _affine_node(self, ref: Ref, c: Any, d: Any) -> Node:
        x = self.bank.node(ref)
        if c != 1:
            x = Map(Fn.of("mul", SLOT0, c), x)
        if d != 0:
            x = Map(Fn.of("add", SLOT0, d), x)
        return x

    def _divisions(self, cost: int, xv: np.ndarray, refs: list[Ref]) -> None:
        """y = x % c or y = floor(x / c) for a whole divisor c."""
        y = self.y
        whole = ((xv == np.rint(xv)) & (xv >= 0)).all(axis=1)
        if not whole.any() or not (y == np.rint(y)).all():
            return
        for c in range(2, MAX_DIVISOR + 1):
            for op, got in (("mod", np.mod(xv, c)), ("floordiv", np.floor(xv / c))):
                fits = whole & (np.abs(got - y[None]) <= TOL).all(axis=1)
                for i in np.nonzero(fits)[0].tolist():
                    self.propose(Candidate(partial(self._division_node, refs[i], op, c),
                                           cost + self.grammar.cost(f"map.{op}"), 1.0,
                                           "arith"))

    def _division_node(self, ref: Ref, op: str, c: int) -> Node:
        x = self.bank.node(ref)
        if op == "mod":
            return Map(Fn.of("mod", SLOT0, c), x)
        return Map(unary("floor"), Map(Fn.of("div", SLOT0, c), x))

    # --- a new number and a cheap one -----------------------------------------------------
    def _pairs(self, cost: int, xv: np.ndarray, refs: list[Ref]) -> None:
        """y = x * p, x + p, x - p, p - x, min(x, p), max(x, p), or x / p, p / x, x % p and
        p % x guarded at zero (remainders of whole numbers only)."""
        if not len(self.pool):
            return
        y, probe = self.y, self.probe
        pv = self.pool_values
        pp, xp = pv[:, probe], xv[:, probe]
        for op in PAIR_OPS:
            cand = np.concatenate([
                np.argwhere(self._fits(op, xp[s: s + CHUNK, None], pp[None], y[probe]))
                + [s, 0] for s in range(0, len(xv), CHUNK)])
            if not len(cand):
                continue
            full = self._fits(op, xv[cand[:, 0]], pv[cand[:, 1]], y)
            for (i, f), good in zip(cand.tolist(), full.tolist()):
                if not good:
                    continue
                at_zero = None
                if op in GUARDED:
                    at_zero = self._value_at_zero(xv[i] if op.startswith("r") else pv[f])
                    if at_zero is False:
                        continue
                p_ref, p_cost = self.pool[f]
                w = self.grammar.cost(f"binary.{op.removeprefix('r')}")
                self.propose(Candidate(partial(self._pair_node, refs[i], p_ref, op, at_zero),
                                       cost + p_cost + w, 1.0, "arith"))

    def _divides(self, cost: int, xv: np.ndarray, refs: list[Ref]) -> None:
        """y = (x % p == 0) or (p % x == 0), for whole numbers and a divisor never 0."""
        if not len(self.pool):
            return
        y, probe, pv = self.y > 0.5, self.probe, self.pool_values
        x_whole = ((xv == np.rint(xv)) & (xv >= 0)).all(axis=1)
        p_whole = ((pv == np.rint(pv)) & (pv >= 0)).all(axis=1)
        w = self.grammar.cost("binary.mod") + self.grammar.cost("map.eq")
        for flip in (False, True):  # flip: the new number is the divisor
            num, den = (pv[None, :, probe], xv[:, None, probe]) if flip else \
                (xv[:, None, probe], pv[None, :, probe])
            positive = ((xv if flip else pv) > 0).all(axis=1)
            usable = x_whole[:, None] & p_whole[None] & (
                positive[:, None] if flip else positive[None])
            with np.errstate(all="ignore"):
                hit = ((np.mod(num, np.where(den > 0, den, 1)) == 0) == y[probe]).all(axis=-1)
            for i, f in np.argwhere(hit & usable).tolist():
                n_full, d_full = (pv[f], xv[i]) if flip else (xv[i], pv[f])
                if not ((np.mod(n_full, d_full) == 0) == y).all():
                    continue
                p_ref, p_cost = self.pool[f]
                self.propose(Candidate(partial(self._divides_node, refs[i], p_ref, flip),
                                       cost + p_cost + w, 1.0, "arith"))

    def _divides_node(self, x_ref: Ref, p_ref: Ref, flip: bool) -> Node:
        x, p = self.bank.node(x_ref), self.bank.node(p_ref)
        rest = SequenceMap(binary("mod"), *((p, x) if flip else (x, p)))
        return Map(Fn.of("eq", SLOT0, 0), rest)

    def _fits(self, op: str, x: np.ndarray, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether `x op p == y` at every position (divisions: wherever the divisor is not 0,
        and the output takes one value wherever it is)."""
        with np.errstate(all="ignore"):
            if op == "mul":
                got = x * p
            elif op == "min":
                got = np.minimum(x, p)
            elif op == "max":
                got = np.maximum(x, p)
            elif op == "add":
                got = x + p
            elif op in ("sub", "rsub"):
                got = x - p if op == "sub" else p - x
            else:
                num, den = (p, x) if op.startswith("r") else (x, p)
                zero = np.abs(den) <= TOL
                safe = np.where(zero, 1.0, den)
                if op.endswith("mod"):  # remainders of whole numbers
                    whole = (num == np.rint(num)) & (den == np.rint(den))
                    got = np.where(whole, np.mod(num, safe), np.nan)
                else:
                    got = num / safe
                got = np.where(zero, y, got)
                ok = (np.abs(got - y) <= TOL).all(axis=-1)
                # the output where the divisor is zero is one value, not the quotient's
                at = np.where(zero, y, np.inf).min(axis=-1)
                top = np.where(zero, y, -np.inf).max(axis=-1)
                return ok & ((at == top) | ~zero.any(axis=-1))
        return (np.abs(got - y) <= TOL).all(axis=-1)

    def _value_at_zero(self, den: np.ndarray) -> Any:
        """The output where the divisor is zero (0, Tracr's numerical default, when the search
        examples never divide by zero: the other examples may)."""
        zero = np.abs(den) <= TOL
        vals = self.y[zero]
        if not len(vals):
            return 0
        return nice(vals[0]) if (vals == vals[0]).all() else False

    def _pair_node(self, x_ref: Ref, p_ref: Ref, op: str, at_zero: Any) -> Node:
        x, p = self.bank.node(x_ref), self.bank.node(p_ref)
        if op in GUARDED:
            a, b = (p, x) if op.startswith("r") else (x, p)
            if positive(b):  # never divides by zero: no guard
                return SequenceMap(binary(op.removeprefix("r")), a, b)
            return guarded_div(a, b, at_zero, op.removeprefix("r"))
        if op == "rsub":
            return SequenceMap(binary("sub"), p, x)
        return SequenceMap(binary(op), x, p)


__all__ = ["NumericGoal", "guarded_div", "nice"]
