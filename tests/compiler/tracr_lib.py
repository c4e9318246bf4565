"""Tracr's library programs (`tracr.compiler.lib`) and Tracr's failure cases, written in rasplab's
Python embedding, with the vocabulary and maximum length the compiler tests and
`benchmarks/bench_compiler.py` use (a fixture: the package itself never runs them).

The programs follow Tracr's definitions step for step, so compiled sizes can be compared.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from rasplab.lang.ast import (
    EQ,
    GE,
    LE,
    LT,
    NE,
    TRUE,
    Aggregate,
    Full,
    Map,
    Select,
    SelectorWidth,
    SequenceMap,
    SOp,
    aggregate,
    indices,
    length,
    numerical,
    select,
    tokens,
)


@dataclass
class Example:
    """A program with the vocabulary and maximum length it is compiled for."""

    name: str
    build: Callable[[], SOp]
    vocab: list[Any]
    max_len: int


def make_length() -> SOp:
    return SelectorWidth(Select(tokens, tokens, TRUE)).named("length")


def make_reverse(sop: SOp) -> SOp:
    opp_idx = (make_length() - indices).named("opp_idx")
    opp_idx = (opp_idx - 1).named("opp_idx-1")
    return Aggregate(Select(indices, opp_idx, EQ), sop).named("reverse")


def make_frac_prevs(bools: SOp) -> SOp:
    prevs = Select(indices, indices, LE)
    return numerical(Aggregate(prevs, numerical(bools), default=0)).named("frac_prevs")


def make_pair_balance(sop: SOp, open_token: str, close_token: str) -> SOp:
    opens = numerical(make_frac_prevs(numerical(sop.eq(open_token)))).named("opens")
    closes = numerical(make_frac_prevs(numerical(sop.eq(close_token)))).named("closes")
    return numerical(SequenceMap(lambda x, y: x - y, opens, closes)).named("pair_balance")


def make_shuffle_dyck(pairs: list[str]) -> SOp:
    balances = [make_pair_balance(tokens, p[0], p[1]).named(f"balance_{p}") for p in pairs]
    any_negative = balances[0] < 0
    for balance in balances[1:]:
        any_negative = any_negative | (balance < 0)
    any_negative = numerical(Map(lambda x: x, any_negative)).named("any_negative")
    select_all = Select(indices, indices, TRUE)
    has_neg = numerical(Aggregate(select_all, any_negative, default=0)).named("has_neg")
    all_zero = balances[0].eq(0)
    for balance in balances[1:]:
        all_zero = all_zero & balance.eq(0)
    select_last = Select(indices, make_length() - 1, EQ)
    last_zero = Aggregate(select_last, all_zero).named("last_zero")
    not_has_neg = (~has_neg).named("not_has_neg")
    return (last_zero & not_has_neg).named("shuffle_dyck")


def make_hist() -> SOp:
    return SelectorWidth(Select(tokens, tokens, EQ)).named("hist")


def make_sort_unique(vals: SOp, keys: SOp) -> SOp:
    smaller = Select(keys, keys, LT)
    target_pos = SelectorWidth(smaller).named("target_pos")
    return Aggregate(Select(target_pos, indices, EQ), vals).named("sort")


def make_sort(vals: SOp, keys: SOp, *, max_seq_len: int, min_key: float) -> SOp:
    keys = SequenceMap(lambda x, i: x + min_key * i / max_seq_len, keys, indices)
    return make_sort_unique(vals, keys)


def make_sort_freq(max_seq_len: int) -> SOp:
    hist = -1 * make_hist()
    return make_sort(tokens, hist, max_seq_len=max_seq_len, min_key=1).named("sort_freq")


def make_count_less_freq(n: int) -> SOp:
    hist = make_hist()
    return SelectorWidth(Select(hist, hist, lambda x, y: x <= n)).named("count_less_freq")


def shift_by(offset: int, sop: SOp) -> SOp:
    sel = Select(indices, indices, lambda k, q: q == k + offset)
    return Aggregate(sel, sop, default=None).named(f"shift_by({offset})")


def detect_pattern(sop: SOp, pattern: str) -> SOp:
    detectors = []
    for i, element in enumerate(reversed(pattern)):
        detector = sop.eq(element)
        if i != 0:
            detector = shift_by(i, detector)
        detectors.append(detector)
    detected = detectors.pop()
    while detectors:
        detected = detected & detectors.pop()
    return detected.named(f"detect_pattern({pattern})")


ABC = ["a", "b", "c"]
MAX_LEN = 6

#: Tracr's lib examples, as in the benchmark (same vocabulary and max_len for both compilers)
TRACR_LIB: list[Example] = [
    Example("length", make_length, ABC, MAX_LEN),
    Example("reverse", lambda: make_reverse(tokens), ABC, MAX_LEN),
    Example("hist", make_hist, ABC, MAX_LEN),
    Example("sort_unique", lambda: make_sort_unique(tokens, tokens), [1, 2, 3], MAX_LEN),
    Example("sort", lambda: make_sort(tokens, tokens, max_seq_len=MAX_LEN, min_key=1),
            [1, 2, 3], MAX_LEN),
    Example("sort_freq", lambda: make_sort_freq(MAX_LEN), ABC, MAX_LEN),
    Example("frac_prevs", lambda: make_frac_prevs(tokens.eq("a")), ABC, MAX_LEN),
    Example("pair_balance", lambda: make_pair_balance(tokens, "(", ")"), ["(", ")", "x"],
            MAX_LEN),
    Example("shuffle_dyck2", lambda: make_shuffle_dyck(["()", "{}"]), ["(", ")", "{", "}"],
            MAX_LEN),
    Example("count_less_freq", lambda: make_count_less_freq(2), ABC, MAX_LEN),
    Example("shift_by", lambda: shift_by(2, tokens), ABC, MAX_LEN),
    Example("detect_pattern", lambda: detect_pattern(tokens, "abc"), ABC, MAX_LEN),
]


def _frac_gt_half() -> SOp:
    frac = numerical(Aggregate(Select(indices, indices, LE), numerical(tokens.eq("a")),
                               default=0))
    return frac > 0.5


#: constructs Tracr compiles wrongly or refuses (see the issue), as rasplab programs
TRACR_FAILURES: list[Example] = [
    Example("none_default", lambda: Aggregate(Select(indices, indices + 1, EQ), tokens),
            ABC, 5),
    Example("negative_numerical_map",
            lambda: numerical(Map(lambda x: 1 - 3 * x, numerical(tokens))), [0, 1, 2], 5),
    Example("negative_nonlinear_map",
            lambda: numerical(Map(lambda m: -(m * m) + 0.25,
                                  make_frac_prevs(tokens.eq("a")))), ABC, 5),
    Example("frac_prevs_gt_half", _frac_gt_half, ABC, 6),
    Example("mean_of_numbers",
            lambda: numerical(Aggregate(Select(indices, indices, LE), numerical(tokens),
                                        default=0)), [1, 2, 5], 5),
    Example("mean_with_default",
            lambda: numerical(Aggregate(Select(tokens, indices, LT), numerical(tokens),
                                        default=-1.5)), [0, 2, 3], 5),
    Example("selector_and_mixed",
            lambda: aggregate(Select(indices, indices, LT) & Select(tokens, tokens, EQ),
                              tokens, "none"), ABC, 5),
    Example("selector_or_mixed",
            lambda: SelectorWidth(Select(indices, indices, LT) | Select(tokens, tokens, NE)),
            ABC, 5),
    Example("selector_not",
            lambda: SelectorWidth(~(Select(tokens, Full("a"), EQ) | Select(indices, indices, GE))),
            ABC, 5),
    Example("constant", lambda: Full(3) + indices, ABC, 5),
    Example("select_constant",
            lambda: aggregate(select(indices, 0, EQ), tokens), ABC, 5),
    Example("length_plus", lambda: length * 2 - indices, ABC, 5),
    Example("categorical_from_numerical",
            lambda: aggregate(select(indices, indices, EQ),
                              Map(lambda m: round(m * 4), make_frac_prevs(tokens.eq("b")))),
            ABC, 5),
]
