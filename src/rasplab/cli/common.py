"""Helpers shared by the command modules: parsing inputs, printing JSON and values."""
from __future__ import annotations

import json
import sys
from typing import Any, Iterable

from rasplab.errors import ExamplesError


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


def print_json(doc: Any, *, compact: bool = False) -> None:
    text = json.dumps(to_jsonable(doc), separators=(", ", ": ") if compact else None,
                      indent=None if compact else 2)
    sys.stdout.write(text + "\n")


def _json_default(value: Any) -> Any:
    """The encoder's hook for what it cannot encode itself: numpy/torch scalars and arrays."""
    if callable(getattr(value, "tolist", None)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_lines(values: Iterable[Any]) -> str:
    """One JSON document a line, as `json.dumps(to_jsonable(v))` writes each, for thousands of
    outputs: the C encoder does the work, with no Python pass over the values."""
    dumps = json.JSONEncoder(default=_json_default).encode
    values = values if isinstance(values, list) else list(values)
    try:
        return "".join(map("{}\n".format, map(dumps, values)))
    except (TypeError, ValueError):  # e.g. dict keys the encoder will not stringify
        return "".join(json.dumps(to_jsonable(v)) + "\n" for v in values)
