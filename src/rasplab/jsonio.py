"""Plain JSON values from what the stages produce (numpy scalars and arrays, tuples, dict keys).

Neutral ground: the CLI prints with it and distillation reports write with it, so it imports no
stage package.
"""
from __future__ import annotations

from typing import Any

_PLAIN = frozenset({str, int, float, bool, type(None)})


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
