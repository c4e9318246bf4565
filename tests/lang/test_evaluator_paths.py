"""The evaluator's fast paths (rank selects, rank widths, ==-aggregates, padding) against a naive
per-input interpreter, on random programs and inputs of mixed lengths."""
import math

import numpy as np
import pytest

from rasplab.errors import RaspRuntimeError
from rasplab.lang import (
    CATEGORICAL,
    EQ,
    FALSE,
    GE,
    GT,
    LE,
    LT,
    NE,
    NUMERICAL,
    TRUE,
    Aggregate,
    Full,
    Map,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    evaluate,
    indices,
    length,
    select,
    tokens,
)
from rasplab.lang.ast import Select

PREDICATES = [EQ, NE, LT, LE, GT, GE, TRUE, FALSE, lambda k, q: (k + q) % 2 == 0]


def naive(node, x):
    """Plain-Python RASP semantics for one input (the evaluator's contract)."""
    n = len(x)
    if node is tokens:
        return list(x)
    if node is indices:
        return list(range(n))
    if node is length:
        return [n] * n
    if isinstance(node, Full):
        return [node.value] * n
    if isinstance(node, Map):
        return [node.fn(v) for v in naive(node.arg, x)]
    if isinstance(node, SequenceMap):
        cols = [naive(a, x) for a in node.args]
        return [node.fn(*vs) for vs in zip(*cols)]
    if isinstance(node, Select):
        ks, qs = naive(node.keys, x), naive(node.queries, x)
        return [[bool(node.predicate(k, q)) for k in ks] for q in qs]
    if isinstance(node, SelectorAnd | SelectorOr):
        a, b = naive(node.left, x), naive(node.right, x)
        f = (lambda u, v: u and v) if isinstance(node, SelectorAnd) else (lambda u, v: u or v)
        return [[f(u, v) for u, v in zip(ra, rb)] for ra, rb in zip(a, b)]
    if isinstance(node, SelectorNot):
        return [[not u for u in row] for row in naive(node.inner, x)]
    if isinstance(node, SelectorWidth):
        return [sum(row) for row in naive(node.selector, x)]
    if isinstance(node, Aggregate):
        sel, vals = naive(node.selector, x), naive(node.sop, x)
        out = []
        for row in sel:
            picked = [v for v, s in zip(vals, row) if s]
            if not picked:
                out.append(node.default)
            elif all(p == picked[0] for p in picked):
                out.append(float(picked[0]) if node.encoding == NUMERICAL else picked[0])
            elif node.encoding == NUMERICAL:
                out.append(sum(float(p) for p in picked) / len(picked))
            elif node.encoding is None and all(isinstance(p, int) for p in picked):
                out.append(sum(picked) / len(picked))
            else:
                raise RaspRuntimeError("conflict")
        return out
    raise AssertionError(type(node))


def random_sop(rng, depth):
    leaves = [tokens, indices, length, Full(int(rng.integers(0, 3)))]
    if depth <= 0 or rng.random() < 0.25:
        return leaves[int(rng.integers(len(leaves)))]
    kind = int(rng.integers(4))
    if kind == 0:
        return Map(lambda v: (v + 1) % 4, random_sop(rng, depth - 1))
    if kind == 1:
        return SequenceMap(lambda a, b: min(a, b), random_sop(rng, depth - 1),
                           random_sop(rng, depth - 1))
    if kind == 2:
        return SelectorWidth(random_selector(rng, depth - 1))
    encoding = [NUMERICAL, CATEGORICAL, None][int(rng.integers(3))]
    return Aggregate(random_selector(rng, depth - 1), random_sop(rng, depth - 1), default=0,
                     encoding=encoding)


def random_selector(rng, depth):
    kind = rng.random()
    if depth > 0 and kind < 0.15:
        return SelectorAnd(random_selector(rng, depth - 1), random_selector(rng, depth - 1))
    if depth > 0 and kind < 0.25:
        return SelectorOr(random_selector(rng, depth - 1), random_selector(rng, depth - 1))
    if depth > 0 and kind < 0.32:
        return SelectorNot(random_selector(rng, depth - 1))
    pred = PREDICATES[int(rng.integers(len(PREDICATES)))]
    return select(random_sop(rng, depth - 1), random_sop(rng, depth - 1), pred)


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(
            a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("seed", range(6))
def test_random_programs_match_the_naive_interpreter(seed):
    rng = np.random.default_rng(seed)
    inputs = [rng.integers(0, 4, size=int(rng.integers(1, 8))).tolist() for _ in range(40)]
    checked = 0
    for _ in range(60):
        prog = random_sop(rng, 3)
        try:
            want = [naive(prog, x) for x in inputs]
        except RaspRuntimeError:
            with pytest.raises(RaspRuntimeError):
                evaluate(prog, inputs)
            continue
        got = evaluate(prog, inputs)
        for x, g, w in zip(inputs, got, want):
            assert len(g) == len(w) and all(same(a, b) for a, b in zip(g, w)), (prog, x, g, w)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("pred", PREDICATES[:8])
def test_selector_values_include_padding_rules(pred):
    sel = select(tokens, indices, pred)
    xs = [[2, 0, 1], [1], [3, 3, 0, 2, 1]]
    for x, m in zip(xs, evaluate(sel, xs)):
        assert m.tolist() == naive(sel, x)
    width = SelectorWidth(sel)
    assert evaluate(width, xs) == [[sum(r) for r in naive(sel, x)] for x in xs]


def test_string_and_integer_tokens_stay_distinct():
    hist = SelectorWidth(select(tokens, tokens, EQ))
    assert evaluate(hist, [[1, "1", 1], ["a", "b", "a"]]) == [[2, 1, 2], [2, 1, 2]]
    assert evaluate(hist, [[1, 2, 1], [2**70, -5, 2**70], [0, 1 << 30]]) == [
        [2, 1, 2], [2, 1, 2], [1, 1]]  # huge and widely spread integers
    assert evaluate(tokens, [[2**70, -5], [1 << 30]]) == [[2**70, -5], [1 << 30]]
    assert evaluate(Aggregate(select(tokens, tokens, LT), tokens, default="-"),
                    [["b", "a"]]) == [["a", "-"]]


LEX_OPS = [LT, LE, GT, GE]


@pytest.mark.parametrize("outer", [LT, GT])
@pytest.mark.parametrize("tie", LEX_OPS)
@pytest.mark.parametrize("swap", [False, True])
def test_lexicographic_selectors_match_the_naive_interpreter(outer, tie, swap):
    """`a < b or (a == b and c OP d)`, folded into one comparison of combined ranks, feeding a
    width and an aggregate (and, as a matrix, the selector itself); inputs of mixed lengths."""
    a, c = Map(lambda v: v % 3, tokens), indices
    then = SelectorAnd(select(a, a, EQ), select(c, c, tie))
    if swap:
        then = SelectorAnd(then.right, then.left)
    sel = SelectorOr(then, select(a, a, outer)) if swap else SelectorOr(select(a, a, outer), then)
    width = SelectorWidth(sel)
    moved = Aggregate(select(width, indices, EQ), tokens, default=-1)
    rng = np.random.default_rng(7)
    xs = [rng.integers(0, 9, size=int(rng.integers(1, 9))).tolist() for _ in range(50)]
    assert evaluate(width, xs) == [naive(width, x) for x in xs]
    assert evaluate(moved, xs) == [naive(moved, x) for x in xs]
    for x, m in zip(xs, evaluate(sel, xs)):
        assert m.tolist() == naive(sel, x)


def test_many_distinct_ranks_are_counted_by_sorting(monkeypatch):
    """Past the histogram limit, rank statistics come from sorted keys, below it from
    histograms of blocks of inputs: same widths and aggregates either way (widely spread
    integers: one histogram over them would not fit in memory)."""
    import rasplab.lang.evaluator as evaluator

    rng = np.random.default_rng(3)
    xs = [rng.integers(0, 10**9, size=int(rng.integers(1, 12))).tolist() for _ in range(30)]
    xs[0] = [5, 5, 7, 5, 3]
    small = [rng.integers(0, 6, size=int(rng.integers(1, 12))).tolist() for _ in range(30)]
    progs = [SelectorWidth(select(tokens, tokens, op)) for op in (EQ, NE, LT, LE, GT, GE)]
    progs.append(Aggregate(select(tokens, tokens, EQ), tokens, default=-1,
                           encoding=CATEGORICAL))
    progs.append(Aggregate(select(tokens, Map(lambda v: v + 2, tokens), EQ), tokens,
                           default=-1))
    for limit, cells in ((8, 1 << 18), (8, 40), (0, 1 << 18)):  # one table, blocks, sorting
        monkeypatch.setattr(evaluator, "RANK_HISTOGRAM_LIMIT", limit)
        monkeypatch.setattr(evaluator, "HISTOGRAM_CELLS", cells)
        for prog in progs:
            for inputs in (xs, small):
                want = [naive(prog, x) for x in inputs]
                got = evaluate(prog, inputs)
                assert all(len(g) == len(w) and all(map(same, g, w))
                           for g, w in zip(got, want))


def test_one_character_tokens_encode_like_any_strings():
    """Text split into characters (the code point path) sorts and compares like other
    strings; a token of two characters or none takes the general path."""
    sort_like = SelectorWidth(select(tokens, tokens, LT))
    xs = [list("hello"), list("zé😀a"), ["b"]]
    assert evaluate(sort_like, xs) == [naive(sort_like, x) for x in xs]
    assert evaluate(tokens, xs) == xs
    for odd in ([*"ab", "cd"], [*"ab", ""], ["a", "\ud800"]):
        assert evaluate(sort_like, [odd, list("ba")]) == [naive(sort_like, odd), [1, 0]]
