"""The task registry: names, sampling, labels, output vocabularies and reference programs."""
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from rasplab.errors import ExamplesError, RaspNameError
from rasplab.lang import evaluate
from rasplab.tasks import SUITES, get_suite, get_task, list_tasks
from rasplab.tasks.programs import PROGRAMS

REQUIRED = ["reverse", "hist", "hist_bos", "double_hist", "sort", "most_freq", "dyck1", "dyck2",
            "length", "frac_prevs", "pair_balance", "shuffle_dyck1", "shuffle_dyck2",
            "shuffle_dyck3", "shift_by", "detect_pattern", "count_less_freq", "sort_unique",
            "sort_freq", "count"]


def test_every_required_task_exists_and_suites_are_consistent():
    names = [t.name for t in list_tasks()]
    assert set(REQUIRED) <= set(names)
    assert len(get_suite("paper")) == 7
    assert set(SUITES["paper"]) | set(SUITES["tracr"]) <= set(SUITES["all"])
    with pytest.raises(RaspNameError, match="reversal.*reverse"):
        get_task("reversal")
    with pytest.raises(RaspNameError, match="paper"):
        get_suite("nope")


@pytest.mark.parametrize("name", [t.name for t in list_tasks()])
def test_samples_respect_vocab_and_lengths_and_are_seeded(name):
    task = get_task(name)
    xs = task.sample(300, np.random.default_rng(7))
    assert xs == task.sample(300, np.random.default_rng(7))
    assert xs != task.sample(300, np.random.default_rng(8))
    for x in xs:
        task.check_input(x)  # raises on a bad token or length
    lengths = Counter(len(x) for x in xs)
    assert max(lengths) == task.max_len and min(lengths) <= task.min_len + 1
    short = task.sample(50, np.random.default_rng(1), min_len=2, max_len=4)
    assert all(2 <= len(x) <= 4 for x in short)


@pytest.mark.parametrize("name", [t.name for t in list_tasks()])
def test_outputs_fit_the_output_vocabulary(name):
    task = get_task(name)
    xs = task.sample(400, np.random.default_rng(3))
    ys = task.outputs(xs)
    assert [len(y) for y in ys] == [len(x) for x in xs]
    if task.numeric_output:
        assert task.output_vocab is None
        assert all(isinstance(v, int | float) for y in ys for v in y)
    else:
        vocab = set(task.output_vocab)
        assert all(v in vocab for y in ys for v in y)
        assert len(task.output_vocab) >= 2


def test_count_like_vocabularies_cover_every_count():
    assert get_task("hist").output_vocab == tuple(range(1, 11))
    assert get_task("length").output_vocab == tuple(range(1, 11))
    assert set(get_task("reverse").output_vocab) == set(get_task("reverse").vocab)


@pytest.mark.parametrize("name", ["dyck1", "dyck2"])
def test_dyck_labels_are_balanced(name):
    task = get_task(name)
    ys = task.outputs(task.sample(2000, np.random.default_rng(0)))
    counts = Counter(v for y in ys for v in y)
    total = sum(counts.values())
    assert set(counts) == {"T", "P", "F"}
    assert all(counts[k] / total > 0.08 for k in "TPF"), counts
    # the label of the whole input (last position) is also mixed
    finals = Counter(y[-1] for y in ys)
    assert all(finals[k] > 150 for k in "TPF"), finals


@pytest.mark.parametrize("name", ["shuffle_dyck1", "shuffle_dyck2", "shuffle_dyck3",
                                  "palindrome", "detect_pattern"])
def test_binary_tasks_mix_both_answers(name):
    task = get_task(name)
    ys = task.outputs(task.sample(1000, np.random.default_rng(0)))
    finals = Counter(y[-1] for y in ys)
    assert len(finals) >= 2 and min(finals.values()) > 100, finals


def test_check_input_names_token_and_position():
    task = get_task("dyck1")
    with pytest.raises(ExamplesError, match=r"'x' at position 2.*dyck1"):
        task.check_input(list("()x"))
    with pytest.raises(ExamplesError, match="length 11"):
        task.check_input(list("()" * 5) + ["("])
    with pytest.raises(ExamplesError, match="empty"):
        task.check_input([])
    task.check_input(list("()" * 8), check_length=False)
    with pytest.raises(ExamplesError, match="start with"):
        get_task("hist_bos").check_input(list("abc"))


def test_check_input_keeps_booleans_out_of_a_vocabulary_of_0_and_1():
    bits = replace(get_task("reverse"), name="bits", vocab=(0, 1))
    bits.check_input([0, 1, 1])
    with pytest.raises(ExamplesError, match=r"token True at position 1 .*bits"):
        bits.check_input([0, True])
    with pytest.raises(ExamplesError, match=r"token 2 at position 2"):
        bits.check_input([0, 1, 2, 3])


def test_hand_checked_extra_references():
    majority = get_task("majority").outputs([list("abcbcb"), list("cab")])
    assert majority == [list("bbbbbb"), list("ccc")]
    assert get_task("rotate").outputs([list("abc")]) == [list("bca")]
    assert get_task("prefix_count").outputs([list("abaa")]) == [[1, 1, 2, 3]]
    assert get_task("palindrome").outputs([list("aba"), list("ab")]) == [[True] * 3,
                                                                         [False] * 2]


@pytest.mark.parametrize("name", [t.name for t in list_tasks()])
def test_reference_programs_match_references_on_the_task_distribution(name):
    task = get_task(name)
    xs = task.sample(300, np.random.default_rng(11))
    if name in PROGRAMS:  # this package's own programs also generalise past max_len
        xs += task.sample(100, np.random.default_rng(12), max_len=task.max_len + 6)
    assert evaluate(task.program, xs) == task.outputs(xs)


def test_bracket_samplers_use_the_pairs_their_vocabulary_holds():
    # a model compiled over (){} for shuffle_dyck3 is queried with the task's sampler over
    # its own tokens: long balanced words over two pairs, never a "[" it cannot read
    rng = np.random.default_rng(0)
    for name in ("shuffle_dyck3", "dyck2"):
        task = get_task(name)
        xs = task.sampler(tuple("(){}"), 400, rng, 1, 8)
        assert {t for x in xs for t in x} <= set("(){}")
        assert sum(len(x) >= 6 and x.count("(") == x.count(")") and x.count("{") == x.count("}")
                   for x in xs) > 40
    whole = get_task("shuffle_dyck3").sample(400, 0)
    assert {"[", "]"} <= {t for x in whole for t in x}
