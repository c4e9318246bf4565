"""Reference RASP programs (Python embedding) for the extra tasks that the `.rasp` library lacks.

Each entry builds its program on demand; they use only primitives the evaluator and the compiler
both support, so `evaluate(PROGRAMS[name](), xs)` matches the task's plain-Python reference.
"""
from __future__ import annotations

from typing import Callable

from rasplab.lang.ast import (
    EQ,
    GT,
    LE,
    LT,
    TRUE,
    Aggregate,
    Full,
    Map,
    SelectorWidth,
    SOp,
    indices,
    length,
    numerical,
    select,
    tokens,
)
from rasplab.lang.functions import Fn


def copy() -> SOp:
    """The input itself."""
    return tokens


def first() -> SOp:
    """Every query reads key 0."""
    return Aggregate(select(indices, Full(0), EQ), tokens).named("first")


def last() -> SOp:
    """Every query reads key n-1."""
    return Aggregate(select(indices, length - 1, EQ), tokens).named("last")


def rotate() -> SOp:
    """Query i reads key (i+1) mod n."""
    return Aggregate(select(indices, (indices + 1) % length, EQ), tokens).named("rotate")


def prefix_count() -> SOp:
    """Width of (key is 'a') and (key <= query)."""
    is_a = tokens.eq("a")
    sel = select(is_a, Full(True), EQ) & select(indices, indices, LE)
    return SelectorWidth(sel).named("prefix_count")


def majority() -> SOp:
    """Rank positions by (count, earliest position); everyone reads the top-ranked token."""
    hist = SelectorWidth(select(tokens, tokens, EQ))
    score = hist * 1000 - indices  # unique per position for inputs shorter than 1000
    rank = SelectorWidth(select(score, score, GT))
    return Aggregate(select(rank, Full(0), EQ), tokens).named("majority")


def palindrome() -> SOp:
    """The mean mismatch between the input and its reverse is 0."""
    rev = Aggregate(select(indices, length - indices - 1, EQ), tokens)
    mismatch = numerical(tokens.ne(rev))
    frac = numerical(Aggregate(select(indices, indices, TRUE), mismatch, default=0))
    return frac.eq(0).named("palindrome")


def running_count() -> SOp:
    """Width of (same token) and (key <= query)."""
    sel = select(tokens, tokens, EQ) & select(indices, indices, LE)
    return SelectorWidth(sel).named("running_count")


def _bracket_count(is_kind: SOp, strict: bool) -> SOp:
    """How many keys up to the query (before it, if `strict`) hold a bracket of one kind."""
    prevs = select(indices, indices, LT if strict else LE)
    return SelectorWidth(select(is_kind, Full(True), EQ) & prevs)


def _opens_closes() -> tuple[SOp, SOp]:
    opens = Map(Fn.table({"(": True, ")": False, "{": True, "}": False}), tokens)
    closes = Map(Fn.table({"(": False, ")": True, "{": False, "}": True}), tokens)
    return opens.named("opens"), closes.named("closes")


def depth() -> SOp:
    """Openers minus closers up to here."""
    opens, closes = _opens_closes()
    return (_bracket_count(opens, False) - _bracket_count(closes, False)).named("depth")


def nesting() -> SOp:
    """Openers up to here minus closers before here: a closer still counts the level it closes."""
    opens, closes = _opens_closes()
    return (_bracket_count(opens, False) - _bracket_count(closes, True)).named("nesting")


def level_count() -> SOp:
    """The running count of each bracket's nesting level."""
    level = nesting()
    sel = select(level, level, EQ) & select(indices, indices, LE)
    return SelectorWidth(sel).named("level_count")


PROGRAMS: dict[str, Callable[[], SOp]] = {
    "running_count": running_count, "depth": depth, "nesting": nesting,
    "level_count": level_count,
    "copy": copy, "first": first, "last": last, "rotate": rotate,
    "prefix_count": prefix_count, "majority": majority, "palindrome": palindrome,
}
