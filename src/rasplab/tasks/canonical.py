"""Reading examples files in the layout `rasplab data` writes, with numpy over the whole text.

A file whose every line is `{"input": [...], "output": [...]}` exactly as json.dumps spells it,
with one-character ASCII strings and integers as values, is parsed without a JSON decoder: the
items are split and checked by array operations, so ten thousand lines cost milliseconds. Any
other file (other spacing, longer strings, floats, escapes, repeated inputs) gets None here and
goes to the JSON reader, which also names a bad line; this reader accepts nothing that reader
would refuse and returns what it would return.
"""
from __future__ import annotations

from operator import methodcaller

import numpy as np

PREFIX, MIDDLE, SUFFIX = '{"input": [', '], "output": [', "]}"
#: at most this many digits: the value is exact in int64
MAX_DIGITS = 18
_POW10 = 10 ** np.arange(MAX_DIGITS, dtype=np.int64)
_CHARS = np.array([chr(i) for i in range(128)], dtype=object)
_QUOTE, _BACKSLASH, _COMMA, _SPACE, _MINUS, _ZERO, _NINE = map(ord, '"\\, -09')


def parse_canonical(lines: list[str], need_output: bool) -> tuple[list, list | None] | None:
    """Inputs and outputs (outputs None unless `need_output`) of lines in the canonical layout,
    or None when a line is not in it (the JSON reader then decides)."""
    rows = list(filter(str.strip, lines))
    if not rows or not all(map(methodcaller("startswith", PREFIX), rows)) or \
            not all(map(methodcaller("endswith", SUFFIX), rows)):
        return None
    middles = list(map(methodcaller("find", MIDDLE), rows))
    if -1 in middles:
        return None
    start, skip = len(PREFIX), len(MIDDLE)
    ins = [row[start:m] for row, m in zip(rows, middles)]
    if len(set(ins)) != len(ins):  # repeated inputs: their outputs must agree (JSON reader)
        return None
    outs = [row[m + skip: -len(SUFFIX)] for row, m in zip(rows, middles)]
    inputs = _items(ins)
    if inputs is None:
        return None
    outputs = _items(outs, need_output)
    if outputs is None or not np.array_equal(inputs[1], outputs[1]):
        return None  # a bad value, or an output longer or shorter than its input
    return inputs[0], (outputs[0] if need_output else None)


def _items(parts: list[str], build: bool = True) -> tuple[list, np.ndarray] | None:
    """The values of comma-separated item lists (one-character strings, integers) and how many
    each list holds; None when any item is anything else or a list is empty. With `build`
    False the values are only checked (the lists come back empty)."""
    text = ", ".join(parts)
    if not text.isascii() or "\\" in text:
        return None
    spans = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) + 2
    found = _chars_only(text, spans, build)
    if found is None:
        found = _mixed(text, build)
    if found is None:
        return None
    starts, flat = found
    counts = np.diff(np.append(np.searchsorted(starts, np.cumsum(spans) - spans), len(starts)))
    if not build:
        return [], counts
    bounds = np.cumsum(counts).tolist()
    return [flat[e - k: e] for e, k in zip(bounds, counts.tolist())], counts


def _chars_only(text: str, spans: np.ndarray, build: bool) -> tuple[np.ndarray, list] | None:
    """Items that are all one-character strings: `"c", "c", ...` is five bytes an item, so one
    reshape checks them all. Item starts and values (with `build`), or None."""
    if len(text) % 5 != 3 or (spans % 5).any():
        return None
    cells = np.frombuffer((text + ", ").encode("ascii"), dtype=np.uint8).reshape(-1, 5)
    char = cells[:, 1]
    if not ((cells[:, 0] == _QUOTE).all() and (cells[:, 2] == _QUOTE).all()
            and (cells[:, 3] == _COMMA).all() and (cells[:, 4] == _SPACE).all()
            and (char >= 32).all() and (char <= 126).all() and not (char == _QUOTE).any()):
        return None
    return np.arange(0, len(text), 5), (_CHARS[char].tolist() if build else [])


def _mixed(text: str, build: bool) -> tuple[np.ndarray, list] | None:
    """Items that are one-character strings or integers, in any mix: item starts and values
    (with `build`), or None."""
    b = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    last = len(b) - 1
    sep = np.flatnonzero((b[:-1] == _COMMA) & (b[1:] == _SPACE))
    starts = np.concatenate(([0], sep + 2))
    ends = np.concatenate((sep, [len(b)]))
    if (ends <= starts).any():  # an empty item: an empty list, or a stray separator
        return None
    is_str = b[np.minimum(starts, last)] == _QUOTE
    any_str = bool(is_str.any())
    if any_str:  # strings: exactly "c", c printable ASCII other than the quote
        s = starts[is_str]
        char = b[np.minimum(s + 1, last)]
        if not ((ends[is_str] - s == 3) & (b[np.minimum(s + 2, last)] == _QUOTE)
                & (char >= 32) & (char <= 126) & (char != _QUOTE)).all():
            return None
        i_start, i_end = starts[~is_str], ends[~is_str]
    else:
        i_start, i_end = starts, ends
    # integers: -?(0|[1-9][0-9]*) as json.dumps writes them (no -0), at most MAX_DIGITS digits
    negative = b[i_start] == _MINUS
    d_start = i_start + negative
    digits = i_end - d_start
    lead = b[np.minimum(d_start, last)]
    if not ((digits >= 1) & (digits <= MAX_DIGITS)
            & ~((lead == _ZERO) & ((digits > 1) | negative))).all():
        return None
    numbers: list = []
    if len(i_start):
        # digit k from the right of every integer at once (integers are short: few rounds)
        number = np.zeros(len(i_start), dtype=np.int64)
        for k in range(int(digits.max())):
            live = digits > k
            digit = b[np.where(live, i_end - 1 - k, 0)] - _ZERO  # a non-digit wraps past 9
            if ((digit > 9) & live).any():
                return None
            if build:
                number += np.where(live, digit, 0) * _POW10[k]
        if build:
            numbers = np.where(negative, -number, number).tolist()
    if not build or not any_str:
        return starts, numbers
    values = np.empty(len(starts), dtype=object)
    values[is_str] = _CHARS[char]
    values[~is_str] = numbers
    return starts, values.tolist()
