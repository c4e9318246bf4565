"""Plain JSON values from what the stages produce (numpy scalars and arrays, tuples, dict keys).

Neutral ground: the CLI prints with it and distillation reports write with it, so it imports no
stage package. `encode_rows` writes thousands of token lists at once, exactly as `json` would.
"""
from __future__ import annotations

from itertools import chain
from typing import Any, Sequence

_PLAIN = frozenset({str, int, float, bool, type(None)})
#: fewer rows than this are left to json (importing orjson would cost more than it saves)
BULK_ROWS = 500
#: values orjson spells as json.dumps does (floats differ: 1e16 is 1e+16 for json)
_SAME_SPELLING = frozenset({str, int, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    """Numpy scalars and arrays to plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list | tuple):
        if set(map(type, value)) <= _PLAIN:  # a flat list of plain values: no recursion
            return list(value)
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def encode_rows(rows: Sequence[Any]) -> bytes | None:
    """`"\\n".join(json.dumps(row) for row in rows)`, byte for byte (ASCII), five times faster:
    lists of strings, integers, booleans and nulls are encoded by orjson, whose compact
    separators are widened. None when the rows may hold anything whose spelling could differ
    (floats, non-ASCII or escaped strings, integers past 64 bits, objects): json encodes those."""
    if len(rows) < BULK_ROWS or not set(map(type, rows)) <= {list}:
        return None
    try:
        import orjson  # imported here: its import costs more than json on a few rows
    except ImportError:  # a declared dependency; without it json encodes the rows
        return None
    try:
        data = b"\n".join(map(orjson.dumps, rows))
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, an integer past 64 bits
        return None
    items = sum(map(len, rows))
    # widening "," to ", " is exact only when every comma separates two values: none inside a
    # string (json would also escape what orjson leaves as non-ASCII; escapes may differ)
    if not data.isascii() or b"\\" in data or \
            data.count(b",") != items - len(rows) + rows.count([]):
        return None
    # every value a string (two quotes each, as none is escaped), or every value an integer
    # (no '.', 'e' of a float, nor 'n' of the null orjson writes for NaN and infinities, which
    # json refuses): else look at the types
    quotes = data.count(b'"')
    plain = b"{" not in data and (
        quotes == 2 * items or (quotes == 0 and not any(map(data.__contains__, b".eEn"))))
    if not plain and not set(map(type, chain.from_iterable(rows))) <= _SAME_SPELLING:
        return None
    return data.replace(b",", b", ")
