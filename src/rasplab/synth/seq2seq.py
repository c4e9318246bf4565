"""Causal sequence-to-sequence programs: what a decoder emits after a separator token.

Sequences look like `<bos> input <sep> output <eos>`; from the separator on, a causal model
predicts each next token from its prefix. The program is searched as two regimes (the first
output position, and the later ones), each a *value* (gather a token by index arithmetic,
the smallest/largest input token past the current one, the most frequent input token, a table
of the current token, a constant) with an optional *stop* rule (`<eos>` once enough steps were
taken, or once the current token equals a gathered one). Every candidate is scored with numpy
on the examples, and the winner is built as a causal RASP program and checked by the evaluator.
"""
from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    Full,
    Map,
    Node,
    Select,
    SelectorWidth,
    SequenceMap,
    SOp,
    aggregate_max,
    aggregate_min,
    causal,
    indices,
    tokens,
)
from rasplab.lang.functions import EQ, GE, GT, LT, SLOT0, SLOT1, SLOT2, Fn
from rasplab.lang.printer import to_rasp
from rasplab.lang.values import ANY
from rasplab.synth.result import SynthResult, sexpr_or_empty

NONE = -1  # "nothing selected" in the numpy mirrors
#: what splitting into a first-position part and a later part costs (one ifelse on `at_sep`)
SPLIT_COST = 2.0
#: accuracy one unit of cost is worth: a part that fits a few more (noisy) positions only by
#: adding a rule must fit at least this much more per unit of cost it adds
PER_COST = 0.001
ALPHAS, BETAS, GAMMAS = (1, -1, 0), (-2, -1, 0, 1, 2), tuple(range(-3, 4))


@dataclass
class Layout:
    """The examples as id arrays, with where the separator sits and which positions count."""

    ids: list[np.ndarray]
    sep: list[int]
    start: int  # first input position (1 after a BOS-like special at position 0)
    want: list[dict[int, int]]  # position -> wanted token id, per example
    weight: list[float]  # how much each example counts (prompts more than variations)

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """All ids in one array, and where each example starts in it (for vectorised gathers)."""
        if not hasattr(self, "_flat"):
            offsets = np.cumsum([0] + [len(a) for a in self.ids[:-1]])
            self._flat = (np.concatenate(self.ids) if self.ids else np.zeros(0, int), offsets)
        return self._flat

    def gather(self, pos: list[tuple[int, int, int]], a: int, b: int, c: int) -> np.ndarray:
        """Token ids at index a*q + b*sep + c (NONE outside the input) for each position."""
        flat, offsets = self.flat()
        e = np.array([p[0] for p in pos])
        q = np.array([p[1] for p in pos])
        s = np.array(self.sep)[e]
        t = a * q + b * s + c
        ok = (t >= self.start) & (t < s)
        got = flat[offsets[e] + np.clip(t, 0, None) * ok]
        return np.where(ok, got, NONE)

    def positions(self, first: bool | None) -> list[tuple[int, int, int]]:
        """(example, position, wanted id) over the first output positions, the later ones, or
        (None) all of them."""
        return [(b, q, w) for b, wants in enumerate(self.want) for q, w in wants.items()
                if first is None or (q == self.sep[b]) == first]


@dataclass
class Part:
    """A scored candidate for one regime: its cost, accuracy, and how to build it."""

    cost: float
    acc: float
    name: str
    build: Callable[["Builder"], SOp]


class Builder:
    """The shared s-ops of a program (separator position, input keys, ranks), built once."""

    def __init__(self, vocab: Sequence[Any], sep_token: Any, start: int, end: Any,
                 specials: set[Any]):
        self.vocab, self.sep_token, self.start, self.end = list(vocab), sep_token, start, end
        self.specials = specials
        self._cache: dict[str, SOp] = {}

    def once(self, key: str, make: Callable[[], SOp]) -> SOp:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def sep_pos(self) -> SOp:
        return self.once("sep_pos", lambda: Aggregate(
            Select(tokens, _atom(self.sep_token), EQ), indices, 0,
            encoding=NUMERICAL).named("sep_pos"))

    @property
    def input_keys(self) -> Any:
        """Keys holding input tokens: no separator at or before them, past the BOS."""
        def make() -> Any:
            seps = SelectorWidth(Select(tokens, _atom(self.sep_token), EQ)).named("seps_so_far")
            before = Map(Fn("eq", (SLOT0, _const(0))), seps).named("before_sep")
            keys = Select(before, _atom(True), EQ)
            if self.start:
                keys = keys & Select(indices, _atom(self.start), GE)
            return keys.named("input_keys")
        return self.once("input_keys", make)

    def rank(self, maximise: bool) -> SOp:
        """Token ids as numbers (tokens compare by their id order); specials sort first for a
        minimum (last for a maximum), so at the separator every input token is past them."""
        low = len(self.vocab) if maximise else -1
        table = {t: (low if t in self.specials else i) for i, t in enumerate(self.vocab)}
        return self.once(f"rank{maximise}", lambda: Map(Fn.table(table), tokens).named("rank"))

    @property
    def step(self) -> SOp:
        return self.once("step", lambda: (indices - self.sep_pos).named("step"))

    def index(self, a: int, b: int, c: int) -> SOp:
        """a * indices + b * sep_pos + c as one s-op."""
        parts: list[SOp] = []
        if a:
            parts.append(indices if a == 1 else indices * a)
        if b:
            parts.append(self.sep_pos if b == 1 else self.sep_pos * b)
        if not parts:
            return Full(c)
        expr = parts[0]
        for p in parts[1:]:
            expr = expr + p
        return expr + c if c else expr


class Mirror:
    """Numpy mirrors of the candidate parts on one example (exactly the RASP semantics)."""

    def __init__(self, ids: np.ndarray, sep: int, start: int, ranks: np.ndarray):
        self.ids, self.sep, self.start = ids, sep, start
        self.n = len(ids)
        self.ranks = ranks
        self.rank = ranks[ids]
        tok = ids[start:sep]
        # prefix count of each input token among the inputs (for the majority's argmax)
        counts: Counter = Counter()
        self.prefix_count = np.zeros(len(tok), dtype=np.int64)
        for j, t in enumerate(tok.tolist()):
            counts[t] += 1
            self.prefix_count[j] = counts[t]

    def special(self, token_id: int) -> bool:
        return bool(self.ranks[token_id] < 0)

    def best(self, q: int, maximise: bool) -> int:
        r = self.rank[self.start:self.sep]
        cur = self.rank[q]
        if cur < 0:  # a special token: below every input for a minimum, above for a maximum
            cur = np.inf if maximise else -1
        ok = r < cur if maximise else r > cur
        if not ok.any():
            return NONE
        cand = np.where(ok, r, np.inf if not maximise else -np.inf)
        k = int(np.argmax(cand) if maximise else np.argmin(cand))
        return int(self.ids[self.start + k])

    def majority(self) -> int:
        if not len(self.prefix_count):
            return NONE
        return int(self.ids[self.start + int(np.argmax(self.prefix_count))])


def _accuracy(values: list[int], wanted: list[int], end: int) -> float:
    got = [end if v == NONE else v for v in values]
    return float(np.mean([g == w for g, w in zip(got, wanted)])) if wanted else 1.0


def _value_parts(layout: Layout, mirrors: list[Mirror], first: bool | None, end: int,
                 vocab: Sequence[Any], specials: set[int] = frozenset()
                 ) -> list[tuple[float, str, list[int], Callable]]:
    """Every value candidate for the regime: (cost, name, values at its positions, builder)."""
    pos = layout.positions(first)
    out: list[tuple[float, str, list[int], Callable]] = []
    if not pos:
        return out
    for tid in sorted({w for _, _, w in pos}):
        out.append((1.0, f"const {vocab[tid]!r}", [tid] * len(pos),
                    lambda bld, t=vocab[tid]: Full(t)))
    for a, b, c in itertools.product(ALPHAS, BETAS, GAMMAS):
        if a == 0 and b == 0 and c < 0:
            continue
        vals = layout.gather(pos, a, b, c).tolist()
        cost = 3 + abs(a) + abs(b) + (c != 0) * 0.5 + abs(c) * 0.01

        def gather(bld: Builder, a: int = a, b: int = b, c: int = c) -> SOp:
            sel = Select(indices, bld.index(a, b, c), EQ) & bld.input_keys
            return Aggregate(sel, tokens, bld.end)
        out.append((cost, f"gather {a}*q{b:+d}*sep{c:+d}", vals, gather))
    for maximise in (False, True):
        vals = [mirrors[e].best(q, maximise) for e, q, _ in pos]

        def best(bld: Builder, maximise: bool = maximise) -> SOp:
            pred = LT if maximise else GT
            rank = bld.rank(maximise)
            sel = Select(rank, rank, pred) & bld.input_keys
            make = aggregate_max if maximise else aggregate_min
            return make(sel, tokens, default=bld.end, score=rank)
        out.append((6.0, "largest input below the current" if maximise
                    else "smallest input above the current", vals, best))
    vals = [mirrors[e].majority() for e, q, _ in pos]

    def majority(bld: Builder) -> SOp:
        same = Select(tokens, tokens, EQ) & bld.input_keys
        count = SelectorWidth(same).named("count")
        return aggregate_max(bld.input_keys, tokens, default=bld.end, score=count)
    out.append((7.0, "most frequent input", vals, majority))
    # a table of the current token, fitted by vote
    cur = [int(mirrors[e].ids[q]) for e, q, _ in pos]
    votes: dict[int, Counter] = {}
    for c_id, (_, _, w) in zip(cur, pos):
        votes.setdefault(c_id, Counter())[w] += 1
    # the end token is left to the stop rules where a token also has another successor
    table = {k: (Counter({w: n for w, n in v.items() if w != end}) or v).most_common(1)[0][0]
             for k, v in votes.items()}
    if len(table) > 1 or first is True:
        vals = [table[c] for c in cur]
        # a constant step in id order (count's successor) extends to tokens never seen current
        steps = {w - k for k, w in table.items() if w != end}
        shift = steps.pop() if len(steps) == 1 and len(table) > 2 else None

        def entry(i: int) -> Any:
            if i in table:
                return vocab[table[i]]
            j = i + shift if shift is not None else -1
            return vocab[j] if 0 <= j < len(vocab) and j not in specials else vocab[end]
        mapping = {vocab[i]: entry(i) for i in range(len(vocab))}

        def lookup(bld: Builder, mapping: dict = mapping) -> SOp:
            return Map(Fn.table(mapping), tokens).named("next_of")
        out.append((4.0 + 0.02 * len(set(table.values())), "table of the current token", vals,
                    lookup))
    return out


def _stop_rules(layout: Layout, mirrors: list[Mirror], first: bool | None
                ) -> list[tuple[float, str, list[bool], Callable | None]]:
    """When to emit the end token instead of the value: (cost, name, flags, builder)."""
    pos = layout.positions(first)
    rules: list[tuple[float, str, list[bool], Callable | None]] = [
        (0.0, "never", [False] * len(pos), None)]
    if first is True:
        return rules
    for k in (1, 2, 3):
        flags = [q - layout.sep[e] >= k for e, q, _ in pos]

        def after(bld: Builder, k: int = k) -> SOp:
            return bld.step >= k
        rules.append((2.0 + 0.1 * k, f"step >= {k}", flags, after))
    for c in range(-2, 3):
        flags = [q - 2 * layout.sep[e] >= c for e, q, _ in pos]

        def past(bld: Builder, c: int = c) -> SOp:
            return bld.step - bld.sep_pos >= c
        rules.append((3.0 + 0.1 * abs(c), f"step >= sep {c:+d}", flags, past))
    for a, b, c in ((0, 0, 1), (0, 0, 2), (0, 1, -1), (0, 0, 3)):
        flat, offsets = layout.flat()
        cur = flat[offsets[[e for e, _, _ in pos]] + np.array([q for _, q, _ in pos])]
        flags = (cur == layout.gather(pos, a, b, c)).tolist()

        def equals(bld: Builder, a: int = a, b: int = b, c: int = c) -> SOp:
            sel = Select(indices, bld.index(a, b, c), EQ) & bld.input_keys
            other = Aggregate(sel, tokens, None)
            return SequenceMap(Fn("eq", (SLOT0, SLOT1)), tokens, other)
        rules.append((4.0, f"current equals input at {a}*q{b:+d}*sep{c:+d}", flags, equals))
    return rules


def _best_part(layout: Layout, mirrors: list[Mirror], first: bool | None, end: int,
               vocab: Sequence[Any]) -> Part | None:
    pos = layout.positions(first)
    if not pos:
        return None
    wanted = [w for _, _, w in pos]
    weights = np.array([layout.weight[e] for e, _, _ in pos])
    weights = weights / weights.sum()
    specials = {i for i, t in enumerate(vocab) if mirrors and mirrors[0].special(i)}
    values = _value_parts(layout, mirrors, first, end, vocab, specials)
    rules = _stop_rules(layout, mirrors, first)
    best: Part | None = None
    for vcost, vname, vals, vbuild in values:
        got = np.array([end if v == NONE else v for v in vals])
        for rcost, rname, flags, rbuild in rules:
            final = np.where(np.array(flags, dtype=bool), end, got)
            acc = float(weights @ (final == np.array(wanted)))
            cost = vcost + rcost
            score = acc - PER_COST * cost
            if best is None or score > best.acc - PER_COST * best.cost + 1e-12:
                def build(bld: Builder, vbuild: Callable = vbuild,
                          rbuild: Callable | None = rbuild) -> SOp:
                    value = vbuild(bld)
                    if rbuild is None:
                        return value
                    stop = rbuild(bld)
                    return SequenceMap(Fn("ifelse", (SLOT0, SLOT1, SLOT2)), Full(bld.end), stop,
                                       value)
                name = vname if rbuild is None else f"{vname}, end when {rname}"
                best = Part(cost, acc, name, build)
    return best


def synthesize_seq2seq(inputs: list[list[Any]], outputs: list[list[Any]], *, vocab: Sequence[Any],
                       sep_token: Any, end_token: Any, specials: Sequence[Any] = (),
                       budget: float = 60.0, weights: Sequence[float] | None = None
                       ) -> SynthResult:
    """A causal program reproducing `outputs` (ANY where a position is not compared) from
    `sep_token` on. `vocab` lists the tokens in id order (ranks compare ids); `weights` says
    how much each example counts (accuracies are weighted means over positions)."""
    t0 = time.monotonic()
    code = {t: i for i, t in enumerate(vocab)}
    specials_set = set(specials) | {sep_token, end_token}
    ranks = np.array([-1 if t in specials_set else i for i, t in enumerate(vocab)])
    starts = Counter(1 if x and x[0] in specials_set else 0 for x in inputs)
    start = starts.most_common(1)[0][0]
    ids, seps, wants, keep, wts = [], [], [], [], []
    for i, (x, y) in enumerate(zip(inputs, outputs)):
        if sep_token not in x:
            continue
        s = x.index(sep_token)
        ids.append(np.array([code[t] for t in x]))
        seps.append(s)
        wants.append({q: code[v] for q, v in enumerate(y) if v is not ANY and v in code})
        keep.append(i)
        wts.append(1.0 if weights is None else float(weights[i]))
    layout = Layout(ids, seps, start, wants, wts)
    mirrors = [Mirror(a, s, start, ranks) for a, s in zip(ids, seps)]
    end = code[end_token]
    first = _best_part(layout, mirrors, True, end, vocab)
    rest = _best_part(layout, mirrors, False, end, vocab)
    both = _best_part(layout, mirrors, None, end, vocab)
    w_first = sum(layout.weight[e] for e, _, _ in layout.positions(True))
    w_all = sum(layout.weight[e] for e, _, _ in layout.positions(None))
    split_acc = ((first.acc * w_first if first else 0)
                 + (rest.acc * (w_all - w_first) if rest else 0)) / max(w_all, 1e-12)
    split_cost = (first.cost if first else 0) + (rest.cost if rest else 0) + SPLIT_COST
    if both is not None and (both.acc >= split_acc - 1e-12 and both.cost <= split_cost
                             or both.acc > split_acc):
        first, rest = None, both
    bld = Builder(vocab, sep_token, start, end_token, specials_set)
    parts = [p for p in (first, rest) if p is not None]
    if not parts:
        return SynthResult(program=None, source="", sexpr="", solved=False, accuracy=0.0,
                           seconds=time.monotonic() - t0, candidates=0, method="seq2seq")
    if first is not None and rest is not None:
        is_sep = Map(Fn("eq", (SLOT0, _const(sep_token))), tokens).named("at_sep")
        body: SOp = SequenceMap(Fn("ifelse", (SLOT0, SLOT1, SLOT2)), first.build(bld), is_sep,
                                rest.build(bld))
    else:
        body = parts[0].build(bld)
    program = causal(body.named("next_token"))
    acc = split_acc if first is not None else rest.acc if rest is not None else 0.0
    return SynthResult(program=program, source=_render(to_rasp, program),
                       sexpr=sexpr_or_empty(program),
                       solved=acc >= 1.0 - 1e-9, accuracy=min(acc, 1.0),
                       seconds=time.monotonic() - t0,
                       candidates=len(ALPHAS) * len(BETAS) * len(GAMMAS) + 8,
                       method="seq2seq",
                       stats={"first": first.name if first else None,
                              "rest": rest.name if rest else None,
                              "position_accuracy": acc})


def _atom(value: Any) -> SOp:
    """A constant select argument, printed as its plain value (`select(tokens, "<sep>", ==)`)."""
    return Full(value, encoding=None)


def _const(value: Any) -> Any:
    from rasplab.lang.functions import Const

    return Const(value)


def _render(printer: Callable[[Node], str], program: Node) -> str:
    try:
        return printer(program)
    except Exception as exc:  # a printer that lacks a node type must not lose the program
        return f"# (unprintable: {exc})"
