"""Lookup tables read off examples, made total: a found program must run on every input.

A table `{1: 1, 2: 0, ..., 8: 0}[width]` learned on short inputs has no entry for a width of 9.
Its total form agrees with the table on every key it holds and extends it: numbers take the
value of the nearest key (written as thresholds, `1 if width < 2 else 0`), other keys (tokens)
outside the table take the table's most common value. Only existing operations are used, so the
form prints as `.rasp`, parses back and compiles like any program.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from rasplab.lang.ast import CATEGORICAL, Encoding, Full, Map, SequenceMap, SOp
from rasplab.lang.functions import SLOT0, SLOT1, Const, Fn
from rasplab.lang.values import is_number, same_value

#: categorical tables with more distinct values than this keep a (guarded) table
MAX_CHAIN_VALUES = 2


def _ifelse(then: Any, cond: SOp, otherwise: SOp | Any, encoding: Encoding | None) -> SOp:
    """`then if cond else otherwise`, `then` a constant, `otherwise` a constant or an s-op."""
    if isinstance(otherwise, SOp):
        return SequenceMap(Fn("ifelse", (Const(then), SLOT0, SLOT1)), cond, otherwise,
                           encoding=encoding)
    return Map(Fn("ifelse", (Const(then), SLOT0, Const(otherwise))), cond, encoding=encoding)


def _chain(cases: list[tuple[SOp, Any]], last: Any, encoding: Encoding | None) -> SOp:
    """`v1 if c1 else (v2 if c2 else ... last)`: the first true condition gives its value."""
    if len(cases) == 1 and all(isinstance(v, bool) for v in (cases[0][1], last)) \
            and cases[0][1] != last:
        cond = cases[0][0]
        return cond.annotated(encoding) if cases[0][1] else \
            Map(Fn("not", (SLOT0,)), cond, encoding=encoding)
    out: SOp | Any = last
    for i, (cond, value) in enumerate(reversed(cases)):
        out = _ifelse(value, cond, out, encoding if i == len(cases) - 1 else CATEGORICAL)
    return out  # type: ignore[return-value]


def _threshold(lo: Any, hi: Any) -> Any:
    """Where the value changes between neighbouring keys `lo < hi`: about halfway (ties go up),
    written short: between integers an integer (`width < 2`), else a short decimal (`< 0.6`)."""
    if isinstance(lo, int) and isinstance(hi, int):
        return lo + (hi - lo + 1) // 2
    middle, quarter = (lo + hi) / 2, (hi - lo) / 4
    for digits in range(16):  # the shortest decimal in the middle half of the gap
        short = round(middle, digits)
        if lo < short <= hi and abs(short - middle) <= quarter:
            return short
    return middle


def _below(key: SOp, lo: Any, hi: Any) -> SOp:
    """`key` is on `lo`'s side of the change between neighbouring keys `lo < hi`. A change at
    zero stays at zero (`x <= 0`, `x < 0`): means and differences that are zero or not keep
    that meaning on longer inputs, where nonzero ones come arbitrarily close to zero."""
    if not (isinstance(lo, int) and isinstance(hi, int)):
        if lo == 0:
            return Map(Fn.of("le", SLOT0, 0), key)
        if hi == 0:
            return Map(Fn.of("lt", SLOT0, 0), key)
    return Map(Fn.of("lt", SLOT0, _threshold(lo, hi)), key)


def _numeric(key: SOp, pairs: list[tuple[Any, Any]], encoding: Encoding | None) -> SOp:
    """The value of the nearest key, as thresholds between runs of equal values."""
    pairs = sorted(pairs, key=lambda kv: kv[0])
    runs: list[tuple[Any, Any, Any]] = []  # (first key, last key, value)
    for k, v in pairs:
        if runs and same_value(runs[-1][2], v, tol=None):  # a table's 1 and True differ
            runs[-1] = (runs[-1][0], k, v)
        else:
            runs.append((k, k, v))
    if len(runs) == 1:
        return Full(runs[0][2], encoding=encoding)
    cases = [(_below(key, run[1], nxt[0]), run[2]) for run, nxt in zip(runs, runs[1:])]
    return _chain(cases, runs[-1][2], encoding)


def _categorical(key: SOp, pairs: list[tuple[Any, Any]], encoding: Encoding | None) -> SOp:
    """The table's value for a known key; its most common value for any other."""
    counts = Counter((type(v).__name__, v) for _, v in pairs)
    groups: dict[tuple, list[Any]] = {}
    for k, v in pairs:
        groups.setdefault((type(v).__name__, v), []).append(k)
    common = max(counts, key=lambda c: counts[c])  # first of the most common, in table order
    if len(groups) == 1:
        return Full(common[1], encoding=encoding)
    if len(groups) <= MAX_CHAIN_VALUES:
        cases = [(Map(Fn.of("in", SLOT0, tuple(keys)), key), value)
                 for (_, value), keys in groups.items() if (_, value) != common]
        return _chain(cases, common[1], encoding)
    # many values: look up a known key, or one whose value is the common one
    known = Map(Fn.of("in", SLOT0, tuple(k for k, _ in pairs)), key).named("is_known")
    stand_in = groups[common][0]
    guarded = SequenceMap(Fn("ifelse", (SLOT0, SLOT1, Const(stand_in))), key, known,
                          encoding=key.encoding).named("known")
    return Map(Fn.table(dict(pairs)), guarded, encoding=encoding)


def total_table(key: SOp, table: Fn, encoding: Encoding | None = CATEGORICAL) -> SOp | None:
    """`table[key]` as a program defined on every key; None when the table already is (its keys
    are False and True) or is empty."""
    pairs = list(table.data or ())
    keys = [k for k, _ in pairs]
    if not pairs or {type(k) for k in keys} == {bool} and len(set(keys)) == 2:
        return None
    if all(is_number(k) for k in keys):
        return _numeric(key, pairs, encoding)
    return _categorical(key, pairs, encoding)


__all__ = ["total_table", "MAX_CHAIN_VALUES"]
