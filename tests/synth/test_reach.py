"""The bottom-up engine's reach (issue 23): large tables, arithmetic by cost, two-argument tables,
fill values, index maps with parity, and numeric compositions, each from ~48 examples."""
from __future__ import annotations

import math

import numpy as np

from rasplab.lang import evaluate, indices, tokens
from rasplab.lang.ast import Map
from rasplab.lang.functions import SLOT0, Fn
from rasplab.synth import synthesize
from rasplab.synth.bottomup.gather import consistent_keys, index_map
from rasplab.synth.bottomup.grammar import Grammar, table_entries
from rasplab.synth.bottomup.pairs import pair_table_program
from rasplab.synth.bottomup.search import per_example
from rasplab.synth.bottomup.values import Space


def _inputs(vocab: list, n: int, seed: int, lo: int = 1, always: object = None) -> list[list]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = [vocab[int(i)] for i in rng.integers(0, len(vocab), int(rng.integers(lo, 9)))]
        if always is not None:
            x[int(rng.integers(len(x)))] = always
        out.append(x)
    return out


def _solve(fn, vocab: list, lo: int = 1, always: object = None, budget: float = 10.0):
    """Synthesise from 48 examples of `fn`; return the result and its accuracy on 300 fresh
    inputs."""
    xs = _inputs(vocab, 48, 0, lo, always)
    result = synthesize([(x, fn(x)) for x in xs], budget=budget, progress=False)
    fresh = _inputs(vocab, 300, 1, lo, always)
    right = per_example(result.program, fresh, [fn(x) for x in fresh]).mean() \
        if result.program is not None else 0.0
    return result, right


def _fib(k: int) -> int:
    a, b = 0, 1
    for _ in range(k):
        a, b = b, a + b
    return a


def _gather(pick, fill):
    def run(xs):
        n = len(xs)
        return [xs[j] if 0 <= (j := pick(i, n)) < n else fill for i in range(n)]
    return run


# --- tables of any size, and arithmetic where it fits ----------------------------------------
def test_a_table_costs_by_the_size_of_its_total_form():
    g = Grammar()
    small = Map(Fn.table({0: "a", 1: "b", 2: "a"}), tokens)
    steps = Map(Fn.table({k: int(k >= 20) for k in range(40)}), tokens)  # one threshold
    shifted = Map(Fn.table({k: k + 7 for k in range(40)}), tokens)
    assert table_entries(steps.fn.data) == 2 and table_entries(shifted.fn.data) == 40
    assert g.program_cost(steps) == g.program_cost(small)
    assert g.program_cost(shifted) > g.program_cost(Map(Fn.of("add", SLOT0, 7), tokens))


def test_a_fibonacci_table_over_30_tokens_is_found_and_right_on_fresh_inputs():
    result, right = _solve(lambda xs: [_fib(x) for x in xs], list(range(30)))
    assert result.solved and right == 1.0


def test_a_map_over_26_letters_is_found():
    result, right = _solve(lambda xs: [x.upper() for x in xs], [chr(97 + i) for i in range(26)])
    assert result.solved and right == 1.0


def test_arithmetic_is_preferred_to_the_table_of_the_same_values():
    result, right = _solve(lambda xs: [x % 7 for x in xs], list(range(40)))
    assert result.solved and right == 1.0
    assert "% 7" in result.source and "{" not in result.source
    result, right = _solve(lambda xs: [x // 4 for x in xs], list(range(40)))
    assert result.solved and right == 1.0 and "floor" in result.source


# --- two-argument tables -------------------------------------------------------------------------
def test_a_two_argument_table_over_the_token_and_the_index_parity():
    result, right = _solve(lambda xs: [f"{x}{i % 2}" for i, x in enumerate(xs)], list("abc"))
    assert result.solved and right == 1.0


def test_a_pair_table_program_branches_on_the_first_argument():
    xs = [list("abc"), list("cab"), list("bca")]
    ys = [[x * (i % 2 + 1) for i, x in enumerate(row)] for row in xs]
    parity = Map(Fn.of("mod", SLOT0, 2), indices)
    program = pair_table_program(tokens, parity, xs, ys)
    assert evaluate(program, xs) == ys


# --- fill values ---------------------------------------------------------------------------------
def test_a_fill_value_that_is_also_a_token_is_the_aggregate_default():
    # every input holds an "a", so no position is out of reach of a key holding "a": the fill
    # value must come from where the shift runs off the end
    shift = _gather(lambda i, n: i + 1, "a")
    result, right = _solve(shift, list("abcd"), always="a")
    assert result.solved and right == 1.0


# --- index arithmetic with parity ----------------------------------------------------------------
def test_swapping_pairs_reads_as_an_index_map_with_parity():
    swap = _gather(lambda i, n: i + 1 if i % 2 == 0 else i - 1, "_")
    result, right = _solve(swap, list("abcdefgh"), lo=2)
    assert result.solved and right == 1.0 and "% 2" in result.source


def test_index_maps_fit_parity_and_halving_forms():
    xs = [list("abcdefgh"), list("hgfedcba"), list("abcd")]
    for pick, word in ((lambda i: i ^ 1, "mod"), (lambda i: i // 2, "floor")):
        ys = [[x[pick(i)] if pick(i) < len(x) else None for i in range(len(x))] for x in xs]
        sp = Space(xs, ys)
        allowed = (sp.tokens[:, None, :] == sp.y[2][:, :, None]) & sp.pvalid
        none_ok = np.array([[v is None for v in row] + [False] * (sp.N - len(row))
                            for row in ys])
        w = index_map(sp, consistent_keys(sp, allowed, none_ok))
        assert w is not None
        assert evaluate(w, [list("abcdefgh")])[0] == [pick(i) for i in range(8)]
        assert word in {fn for fn in _ops(w)}


def _ops(node) -> set:
    from rasplab.lang.ast import walk
    return {n.fn.op for n in walk(node) if hasattr(n, "fn")}


# --- numeric compositions ------------------------------------------------------------------------
def test_a_division_guarded_at_zero_takes_the_outputs_value_there():
    def f(xs):
        return [-1 if x == 0 else i / x for i, x in enumerate(xs)]
    result, right = _solve(f, list(range(6)))
    assert result.solved and right == 1.0
    assert evaluate(result.program, [[0, 2, 0]])[0] == [-1, 0.5, -1]


def test_min_of_the_token_and_the_positions_left():
    result, right = _solve(lambda xs: [min(x, len(xs) - i) for i, x in enumerate(xs)],
                           list(range(1, 10)))
    assert result.solved and right == 1.0


def test_a_polynomial_of_the_token():
    result, right = _solve(lambda xs: [x * x + 1 for x in xs], list(range(20)))
    assert result.solved and right == 1.0 and "{" not in result.source
    assert not math.isnan(result.accuracy)


def test_causal_search_keeps_its_meaning_with_the_new_last_steps():
    from rasplab.synth.bottomup.search import search

    shift = _gather(lambda i, n: i - 1, "a")  # sees only earlier positions: causal-safe
    xs = _inputs(list("abcd"), 48, 0, always="a")
    result = search(xs, [shift(x) for x in xs], budget=10, progress=False, causal=True)
    assert result.solved
    fresh = _inputs(list("abcd"), 200, 1, always="a")
    assert per_example(result.program, fresh, [shift(x) for x in fresh], causal=True).all()
    # a table over 30 tokens, causal or not, is the same element-wise map
    xs = _inputs(list(range(30)), 48, 0)
    result = search(xs, [[_fib(x) for x in row] for row in xs], budget=10, progress=False,
                    causal=True)
    assert result.solved


def test_a_multiple_of_the_first_element():
    result, right = _solve(lambda xs: [x % xs[0] == 0 for x in xs], list(range(1, 10)))
    assert result.solved and right == 1.0 and "%" in result.source


def test_the_larger_of_the_token_and_the_token_opposite():
    result, right = _solve(lambda xs: [max(x, xs[len(xs) - 1 - i]) for i, x in enumerate(xs)],
                           list(range(1, 10)))
    assert result.solved and right == 1.0


def test_scale_by_the_maximum_divides_guarded_where_the_maximum_is_zero():
    def scale(xs):
        top = max(xs)
        return [0 if top == 0 else x / top for x in xs]
    result, right = _solve(scale, list(range(6)))
    assert result.solved and right == 1.0
    assert evaluate(result.program, [[0, 0, 0], [1, 4, 2]]) == [[0, 0, 0], [0.25, 1.0, 0.5]]
