"""Hand-derived cases for every plain-Python reference (the ground truth of the tasks)."""
from __future__ import annotations

import pytest

from rasplab.errors import ExamplesError
from rasplab.tasks.references import REFERENCES

PROGRAM_NAMES = ["reverse", "hist", "hist_bos", "double_hist", "sort", "most_freq", "dyck1",
                 "dyck2", "length", "frac_prevs", "pair_balance", "shuffle_dyck1",
                 "shuffle_dyck2", "shuffle_dyck3", "shift_by", "detect_pattern",
                 "count_less_freq", "sort_unique", "sort_freq", "count"]

CASES = [
    ("reverse", "hello", list("olleh")),
    ("reverse", [1, 2, 3], [3, 2, 1]),
    ("hist", "hello", [1, 1, 2, 2, 1]),
    ("hist", "aaa", [3, 3, 3]),
    ("hist_bos", ["<s>", "a", "b", "a"], [0, 2, 1, 2]),
    ("hist_bos", ["<s>"], [0]),
    ("double_hist", "aabcd", [1, 1, 3, 3, 3]),
    ("double_hist", "abbccd", [2, 2, 2, 2, 2, 2]),
    ("double_hist", "hello", [3, 3, 1, 1, 3]),
    ("sort", "hello", list("ehllo")),
    ("sort", [3, 1, 2, 1], [1, 1, 2, 3]),
    ("most_freq", "hello", list("lheo_")),
    ("most_freq", "abbccd", list("bcad__")),
    ("most_freq", "aaa", list("a__")),
    ("dyck1", "(()", list("PPP")),
    ("dyck1", "())(", list("PTFF")),
    ("dyck1", "()()", list("PTPT")),
    ("dyck1", ")(", list("FF")),
    ("dyck1", "(a)", list("PPT")),
    ("dyck2", "({})", list("PPPT")),
    ("dyck2", "({)}", list("PPFF")),
    ("dyck2", "(){", list("PTP")),
    ("dyck2", "}", list("F")),
    ("length", "abc", [3, 3, 3]),
    ("frac_prevs", "xaxx", [1.0, 0.5, 2 / 3, 0.75]),
    ("frac_prevs", "ab", [0.0, 0.0]),
    ("pair_balance", "a()b(c))", [0, 1 / 2, 0, 0, 1 / 5, 1 / 6, 0, -1 / 8]),  # Tracr's example
    ("shuffle_dyck1", "(())", [1, 1, 1, 1]),
    ("shuffle_dyck1", "())(", [0, 0, 0, 0]),
    ("shuffle_dyck1", "((", [0, 0]),
    ("shuffle_dyck2", "({)}", [1, 1, 1, 1]),  # Tracr's examples
    ("shuffle_dyck2", "(){)}", [0, 0, 0, 0, 0]),
    ("shuffle_dyck3", "([)]{}", [1] * 6),
    ("shuffle_dyck3", "[", [0]),
    ("shift_by", "abc", ["_", "a", "b"]),
    ("shift_by", "a", ["_"]),
    ("detect_pattern", "abcabc", [0, 0, 1, 0, 0, 1]),
    ("detect_pattern", "ab", [0, 0]),
    ("detect_pattern", "aabcc", [0, 0, 0, 1, 0]),
    ("count_less_freq", "aaabbc", [3] * 6),  # Tracr's examples
    ("count_less_freq", "aacbbc", [6] * 6),
    ("count_less_freq", "aaa", [0] * 3),
    ("sort_unique", [2, 4, 3, 1], [1, 2, 3, 4]),
    ("sort_unique", "bab", ["a", "b", "_"]),
    ("sort_freq", [2, 4, 2, 1], [2, 2, 4, 1]),  # Tracr's example
    ("sort_freq", "abab", list("abab")),
    ("sort_freq", "abb", list("bba")),
    ("count", "aaabbc", [3] * 6),
    ("count", "cabc", [1] * 4),
    ("count", "bc", [0, 0]),
]


def test_every_program_has_a_reference():
    assert sorted(REFERENCES) == sorted(PROGRAM_NAMES)


@pytest.mark.parametrize("name, x, expected", CASES)
def test_reference_hand_derived(name, x, expected):
    out = REFERENCES[name](list(x))
    if name in ("frac_prevs", "pair_balance"):
        expected = pytest.approx(expected)
    assert out == expected
    assert len(out) == len(x)


def test_every_reference_has_a_case():
    assert {c[0] for c in CASES} == set(PROGRAM_NAMES)


def test_references_do_not_modify_their_input():
    for name, ref in REFERENCES.items():
        x = ["<s>", "b", "a"] if name == "hist_bos" else list("bca")
        before = list(x)
        ref(x)
        assert x == before, name


@pytest.mark.parametrize("x", [["a", "b"], ["<s>", "a", "<s>"], []])
def test_hist_bos_rejects_inputs_without_a_single_leading_bos(x):
    with pytest.raises(ExamplesError, match="<s>"):
        REFERENCES["hist_bos"](x)
