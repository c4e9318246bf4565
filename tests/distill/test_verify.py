"""Verification is honest about lengths: exhaustive where the inputs are few, stratified by
length (short inputs weighed by how few they are) where they are many."""
import json
from types import SimpleNamespace

import numpy as np
import pytest

from rasplab.distill import from_function
from rasplab.distill.queries import input_sampler
from rasplab.distill.report import write_report
from rasplab.distill.verify import (
    all_of_length,
    distinct_of_length,
    inputs_per_length,
    same_output,
    verify,
)
from rasplab.lang import EQ, Aggregate, evaluate, indices, length, select, tokens

REVERSE = Aggregate(select(indices, length - indices - 1, EQ), tokens)


def _short_right_long_wrong(x):
    """Reverse on inputs up to length 3; longer ones reversed only when they start with "a"."""
    out = x[::-1]
    return out if len(x) <= 3 or x[0] == "a" else ["z"] * len(x)


def _true_agreement(vocab, max_len):
    xs = [x for k in range(1, max_len + 1) for x in all_of_length(vocab, k)]
    got = evaluate(REVERSE, xs)
    return float(np.mean([same_output(g, _short_right_long_wrong(x)) for g, x in zip(got, xs)]))


def test_input_enumeration_and_distinct_draws():
    assert inputs_per_length(3, 1, 3) == {1: 3, 2: 9, 3: 27}
    xs = all_of_length("abc", 3)
    assert len(xs) == 27 and len({tuple(x) for x in xs}) == 27 and xs[0] == list("aaa")
    rng = np.random.default_rng(0)
    for k, m in ((2, 50), (4, 50), (9, 200)):  # all of them, dense draw, sparse draw
        ys = distinct_of_length("abc", k, m, rng)
        assert len(ys) == min(3 ** k, m) and len({tuple(y) for y in ys}) == len(ys)
        assert all(len(y) == k and set(y) <= set("abc") for y in ys)


def test_exhaustive_when_few_inputs_and_exact():
    vocab, max_len = list("abc"), 8  # 9,840 inputs: every one is checked
    oracle = from_function(_short_right_long_wrong, vocab, max_len)
    v = verify(REVERSE, oracle, input_sampler(oracle), np.random.default_rng(0), n=100)
    assert v.method == "exhaustive" and v.n == sum(3 ** k for k in range(1, 9))
    assert v.agreement == pytest.approx(_true_agreement(vocab, max_len))
    assert v.agreement < 0.35  # right on every short input, wrong on 2/3 of the long ones
    assert v.agreement_by_length[2] == 1.0 and v.agreement_by_length[6] == pytest.approx(1 / 3)


def test_stratified_does_not_let_short_inputs_stand_for_long_ones():
    vocab, max_len = list("abc"), 8
    oracle = from_function(_short_right_long_wrong, vocab, max_len)
    truth = _true_agreement(vocab, max_len)
    v = verify(REVERSE, oracle, input_sampler(oracle), np.random.default_rng(1), n=300,
               exhaustive_limit=1000)
    assert v.method == "stratified" and v.weights == "distinct"
    # every short input is checked (3 + 9 + 27 + 81 + 243 of them), 300 of each longer length
    assert v.n_by_length == {1: 3, 2: 9, 3: 27, 4: 81, 5: 243, 6: 300, 7: 300, 8: 300}
    assert v.agreement_by_length[1] == v.agreement_by_length[3] == 1.0
    assert sum(v.weight_by_length.values()) == pytest.approx(1.0)
    # uniform over lengths would say (3 + 5/3) / 8 = 58%; the honest figure is near 34%
    assert v.agreement < 0.45 and abs(v.agreement - truth) < 0.1


def test_task_inputs_weigh_lengths_as_the_task_does_and_given_weights_override():
    oracle = from_function(lambda x: x[::-1], list("abcdehlo"), 10, task="reverse")
    sample = input_sampler(oracle)
    v = verify(REVERSE, oracle, sample, np.random.default_rng(2), n=30)
    assert v.method == "stratified" and v.weights == "task" and v.agreement == 1.0
    assert set(v.n_by_length) == set(range(1, 11))
    assert all(abs(w - 0.1) < 0.03 for w in v.weight_by_length.values())  # uniform lengths
    bad = from_function(_short_right_long_wrong, list("abcd"), 8)
    only_short = {1: 1.0, 2: 1.0}
    v = verify(REVERSE, bad, input_sampler(bad), np.random.default_rng(3), n=50,
               exhaustive_limit=100, length_weights=only_short)
    assert v.weights == "given" and v.agreement == 1.0 and v.weight_by_length[5] == 0.0


def test_report_and_json_name_the_method(tmp_path):
    oracle = from_function(_short_right_long_wrong, list("ab"), 5)
    v = verify(REVERSE, oracle, input_sampler(oracle), np.random.default_rng(0))
    doc = json.loads(json.dumps(v.to_json()))
    assert doc["method"] == "exhaustive" and doc["n"] == 62
    result = SimpleNamespace(
        source="program = reverse;\n", summary=lambda: {"verification": v.to_json()},
        verification=v, model_description="f", task=None, n_queries=1, rounds=1, seconds=0.0,
        head_matches=[], example_patterns=None, interrupted=False)
    text = write_report(result, tmp_path).read_text()
    assert "checked exhaustively: all 62 inputs" in text
