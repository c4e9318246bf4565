"""Helpers shared by the command modules: parsing inputs, printing JSON and values."""
from __future__ import annotations

import json
import math
import sys
from typing import Any, Iterable

from rasplab.errors import ExamplesError, RaspRuntimeError


def parse_input(arg: str) -> list[Any]:
    """A command-line input: a plain string is split into characters; `[...]` is a JSON list."""
    if arg.startswith("["):
        try:
            value = json.loads(arg)
        except json.JSONDecodeError as exc:
            raise ExamplesError(f"input {arg!r} is not a valid JSON list: {exc.msg}") from None
        tokens_ok = all(isinstance(t, str | int) and not isinstance(t, bool) for t in value) \
            if isinstance(value, list) else False
        if not tokens_ok:
            raise ExamplesError(f"input {arg!r} must be a JSON list of strings or integers")
        return value
    return list(arg)


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


def _finite_or_null(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [_finite_or_null(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    return value


def print_json(doc: Any, *, compact: bool = False) -> None:
    """One JSON document on stdout; a figure that is NaN or infinite is written as null, so the
    document is valid JSON (which has neither)."""
    doc = to_jsonable(doc)
    options = {"separators": (", ", ": ") if compact else None, "indent": None if compact else 2}
    try:
        text = json.dumps(doc, allow_nan=False, **options)
    except ValueError:
        text = json.dumps(_finite_or_null(doc), allow_nan=False, **options)
    sys.stdout.write(text + "\n")


def _non_finite_at(value: Any) -> tuple[list[int], float] | None:
    """Where the first NaN or infinite float sits in nested lists (its index path), if any."""
    if isinstance(value, float):
        return None if math.isfinite(value) else ([], value)
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found = _non_finite_at(v)
            if found is not None:
                return [i] + found[0], found[1]
    return None


def _refuse_non_finite(values: list[Any]) -> None:
    """RaspRuntimeError naming the first output holding NaN or an infinity (JSON has neither:
    such output is not written as something else)."""
    for n, v in enumerate(values, start=1):
        found = _non_finite_at(to_jsonable(v))
        if found is not None:
            where = ", ".join(map(str, found[0]))
            raise RaspRuntimeError(f"output {n} holds {found[1]} at position {where}; JSON has "
                                   "no NaN or infinity, so it cannot be written as JSON "
                                   "(without --json it is printed)")


def _json_default(value: Any) -> Any:
    """The encoder's hook for what it cannot encode itself: numpy/torch scalars and arrays."""
    if callable(getattr(value, "tolist", None)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_lines(values: Iterable[Any]) -> str:
    """One JSON document a line, as `json.dumps(to_jsonable(v))` writes each, for thousands of
    outputs: the C encoder does the work, with no Python pass over the values."""
    dumps = json.JSONEncoder(default=_json_default, allow_nan=False).encode
    values = values if isinstance(values, list) else list(values)
    try:
        return "".join(map("{}\n".format, map(dumps, values)))
    except (TypeError, ValueError):  # e.g. dict keys the encoder will not stringify, or NaN
        _refuse_non_finite(values)
        return "".join(json.dumps(to_jsonable(v), allow_nan=False) + "\n" for v in values)
