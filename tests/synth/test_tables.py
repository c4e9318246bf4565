"""Tables read off examples run on every input: numbers past the table take the nearest key's
value, unknown tokens the table's most common value; the forms print, parse back and compile."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasplab.compiler import compile_program
from rasplab.lang import evaluate, indices, select, selector_width, tokens
from rasplab.lang.ast import Map
from rasplab.lang.functions import EQ, Fn
from rasplab.lang.parser import load_program
from rasplab.lang.printer import to_rasp
from rasplab.synth.bottomup.naming import finish
from rasplab.synth.bottomup.search import table_program
from rasplab.synth.bottomup.tables import total_table

COUNT = selector_width(select(tokens, tokens, EQ))


def _count_examples(max_len: int) -> tuple[list[list[str]], list[list[int]]]:
    """Inputs up to max_len over one letter and a filler: the count reaches every 1..max_len;
    the output is 1 where a token occurs once (the issue's `{1: 1, 2: 0, ..., 8: 0}` table)."""
    rng = random.Random(0)
    xs = [["a"] * n + ["b"] * rng.randint(0, max_len - n) for n in range(1, max_len + 1)]
    xs += [[rng.choice("ab") for _ in range(rng.randint(1, max_len))] for _ in range(40)]
    ys = [[int(c == 1) for c in row] for row in evaluate(COUNT, xs)]
    return xs, ys


def test_a_count_table_runs_past_the_longest_example_interpreted_and_compiled():
    xs, ys = _count_examples(8)
    program = finish(table_program(COUNT, xs, ys))
    assert evaluate(program, xs) == ys  # still agrees on every example
    longer = [list("aaaaaaaaab"), ["a"] * 12]
    assert evaluate(program, longer) == [[0] * 9 + [1], [0] * 12]  # nearest key: 8 -> 0
    source = to_rasp(program)
    assert "< 2" in source and "{" not in source  # a monotone two-valued table is a threshold
    parsed = load_program(source)
    assert evaluate(parsed, longer) == [[0] * 9 + [1], [0] * 12]
    model = compile_program(parsed, vocab=["a", "b"], max_len=12)
    assert model.predict(longer) == [[0] * 9 + [1], [0] * 12]


def test_numbers_between_and_beyond_keys_take_the_nearer_keys_value():
    """Nearest key, except that a change at zero stays at zero (0.1 is past 0, so "y")."""
    table = Fn.table({0.0: "x", 0.5: "y", 1.0: "x", 3.0: "z"})
    numbers = Map(Fn.table({"a": 0.0, "b": 0.1, "c": 0.9, "d": 2.5, "e": -4.0, "f": 9.0}),
                  tokens)
    program = total_table(numbers, table)
    assert evaluate(program, [list("abcdef")]) == [["x", "y", "x", "z", "x", "z"]]
    assert evaluate(load_program(to_rasp(program)), [list("abcdef")]) == \
        [["x", "y", "x", "z", "x", "z"]]


def test_unknown_tokens_take_the_most_common_value():
    two = finish(table_program(tokens, [list("abc")], [[True, False, True]]))
    assert evaluate(two, [list("abcz")]) == [[True, False, True, True]]
    many = finish(table_program(tokens, [list("abcde")], [["w", "x", "y", "z", "z"]]))
    assert evaluate(many, [list("abcdq")]) == [["w", "x", "y", "z", "z"]]
    parsed = load_program(to_rasp(many))
    model = compile_program(parsed, vocab=list("abcdq"), max_len=5)
    assert model.predict([list("qabcd")]) == [["z", "w", "x", "y", "z"]]


def test_tables_inside_causal_programs_are_made_total_too():
    from rasplab.lang.ast import causal

    program = finish(causal(Map(Fn.table({1: "one", 2: "two"}), COUNT)))
    assert evaluate(program, [list("aaa")]) == [["one", "two", "two"]]  # prefix counts 1, 2, 3


def test_tables_over_booleans_are_already_total_and_stay_tables():
    table = Map(Fn.table({False: "n", True: "y"}), tokens.eq("a"))
    assert finish(table).fn == table.fn


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.integers(-5, 20), st.sampled_from([0, 1, 2, "s"]), min_size=1,
                       max_size=8), st.lists(st.integers(-10, 30), min_size=1, max_size=12))
def test_integer_tables_agree_on_their_keys_and_give_the_nearest_elsewhere(mapping, queries):
    keys = sorted(mapping)
    positions = Map(Fn.table(dict(enumerate(queries))), indices)
    program = total_table(positions, Fn.table(mapping))
    got = evaluate(program, [["t"] * len(queries)])[0]

    def nearest(q: int) -> object:
        best = min(keys, key=lambda k: (abs(k - q), -k))  # ties go to the larger key
        return mapping[best]
    assert got == [nearest(q) for q in queries]


@pytest.mark.parametrize("mapping", [{1: 5}, {"a": 5, "b": 5}])
def test_a_single_valued_table_is_a_constant(mapping):
    key = tokens if "a" in mapping else selector_width(select(tokens, tokens, EQ))
    assert evaluate(total_table(key, Fn.table(mapping)), [list("ab")]) == [[5, 5]]
