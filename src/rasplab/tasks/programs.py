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
    TRUE,
    Aggregate,
    Full,
    SelectorWidth,
    SOp,
    indices,
    length,
    numerical,
    select,
    tokens,
)


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


PROGRAMS: dict[str, Callable[[], SOp]] = {
    "copy": copy, "first": first, "last": last, "rotate": rotate,
    "prefix_count": prefix_count, "majority": majority, "palindrome": palindrome,
}
