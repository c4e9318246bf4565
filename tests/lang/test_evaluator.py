"""The batched evaluator against hand-derived outputs and plain-Python references."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasplab.errors import RaspRuntimeError
from rasplab.lang import (
    EQ,
    LE,
    LT,
    NUMERICAL,
    TRUE,
    Aggregate,
    Full,
    Map,
    SelectorWidth,
    SequenceMap,
    evaluate,
    indices,
    length,
    numerical,
    select,
    tokens,
)

words = st.text(alphabet="abcde", min_size=1, max_size=12)
flip = select(indices, length - indices - 1, EQ)
reverse = Aggregate(flip, tokens)


def test_reverse_fixed():
    assert evaluate(reverse, ["hello", "ab", [1, 2, 3]]) == [list("olleh"), ["b", "a"], [3, 2, 1]]


@given(st.lists(words, min_size=1, max_size=20))
@settings(max_examples=50, deadline=None)
def test_reverse_and_hist_random(xs):
    hist = SelectorWidth(select(tokens, tokens, EQ))
    assert evaluate(reverse, xs) == [list(x[::-1]) for x in xs]
    assert evaluate(hist, xs) == [[x.count(c) for c in x] for x in xs]


def test_numerical_mean_and_default():
    frac = numerical(Aggregate(select(indices, indices, LE), numerical(tokens.eq("a")), default=0))
    assert evaluate(frac, ["abca"]) == [[1.0, 0.5, 1 / 3, 0.5]]
    prev = Aggregate(select(indices, indices - 1, EQ), tokens)  # categorical default None
    assert evaluate(prev, ["abc"]) == [[None, "a", "b"]]
    prev0 = Aggregate(select(indices, indices - 1, EQ), tokens, default="_")
    assert evaluate(prev0, ["abc"]) == [["_", "a", "b"]]


def test_unannotated_aggregate_follows_original_rasp():
    # .rasp programs carry no annotation: several numbers average, one passes through
    mean = Aggregate(select(indices, indices, LE), indices, default=0, encoding=None)
    assert evaluate(mean, ["abcd"]) == [[0, 0.5, 1.0, 1.5]]
    same = Aggregate(select(tokens, tokens, EQ), tokens, default=0, encoding=None)
    assert evaluate(same, ["aba"]) == [["a", "b", "a"]]


def test_categorical_conflict_names_node_and_input():
    bad = Aggregate(select(indices, indices, LE), tokens).named("bad_agg")
    with pytest.raises(RaspRuntimeError, match="bad_agg.*'ab'"):
        evaluate(bad, ["aa", "ab"])


def test_undefined_function_names_value_and_input():
    inv = Map(lambda x: 1 / x, indices).named("inverse")
    with pytest.raises(RaspRuntimeError, match="undefined on value 0.*inverse"):
        evaluate(inv, ["xyz"])


def test_sequence_map_runs_once_per_distinct_pair():
    calls = []

    def f(a, b):
        calls.append((a, b))
        return a + b

    out = evaluate(SequenceMap(f, tokens, Full("!")), ["abab" * 50, "ba" * 30])
    assert out[1][:2] == ["b!", "a!"]
    assert len(calls) == 2  # two distinct (token, "!") pairs over 320 positions


def test_shared_subprogram_evaluated_once():
    calls = []
    shared = Map(lambda x: calls.append(x) or x, indices)
    prog = SequenceMap(lambda a, b: a + b, shared, shared + 1)
    assert evaluate(prog, ["abc"]) == [[1, 3, 5]]
    assert len(calls) == 3


def test_mixed_lengths_and_selector_output():
    sel = select(indices, indices, LT)
    mats = evaluate(sel, ["ab", "abc"])
    assert mats[0].shape == (2, 2) and mats[1].shape == (3, 3)
    np.testing.assert_array_equal(mats[1], np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0]], bool))
    width = SelectorWidth(select(tokens, tokens, TRUE))
    assert evaluate(width, ["a", "abcde"]) == [[1], [5] * 5]


def test_selector_combinators():
    a = select(indices, indices, LE)
    b = select(tokens, tokens, EQ)
    assert evaluate(SelectorWidth(a & b), ["abab"]) == [[1, 1, 2, 2]]
    assert evaluate(SelectorWidth(a | b), ["abab"]) == [[2, 3, 3, 4]]
    assert evaluate(SelectorWidth(~a), ["abab"]) == [[3, 2, 1, 0]]


def test_numerical_annotation_matters():
    assert numerical(tokens) != tokens
    m = Aggregate(select(indices, indices, LE), numerical(indices + 0))
    assert m.encoding == NUMERICAL and m.default == 0


def test_a_comparison_with_double_equals_is_explained_not_an_attribute_error():
    """`tokens == "a"` compares programs (a bool); evaluate says so and names `.eq()`."""
    import rasplab.lang as lang

    with pytest.raises(TypeError, match=r"structurally.*\.eq\(\)"):
        lang.evaluate(lang.tokens == "a", ["ab"])
    assert lang.evaluate(lang.tokens.eq("a"), ["ab"]) == [[True, False]]
    sop = lang.tokens.eq("a")
    assert lang.from_sexpr(lang.to_sexpr(sop)) == sop  # both exported where documented


def test_a_power_past_float_range_is_an_error_not_minutes_of_big_integers():
    import pytest

    from rasplab.errors import RaspRuntimeError
    from rasplab.lang import Fn, SequenceMap, evaluate, length
    from rasplab.lang.functions import SLOT0, SLOT1

    power = Fn("pow", (SLOT0, SLOT1))
    tower = SequenceMap(power, length, SequenceMap(power, length, length))  # 9 ** 9 ** 9
    with pytest.raises(RaspRuntimeError, match="beyond the range"):
        evaluate(tower, ["abcdefghi"])
    assert evaluate(SequenceMap(power, length, length), ["abc"]) == [[27, 27, 27]]
