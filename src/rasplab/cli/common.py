"""Helpers shared by the command modules: parsing inputs, printing JSON and values."""
from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable

from rasplab.errors import (
    ExamplesError,
    OutputError,
    RaspLabError,
    RaspRuntimeError,
    UsageError,
)
from rasplab.jsonio import encode_rows, to_jsonable


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
    fast = encode_rows(values)  # token lists (most outputs): the same text, in bulk
    if fast is not None:
        return fast.decode("ascii") + "\n" if values else ""
    try:
        return "".join(map("{}\n".format, map(dumps, values)))
    except (TypeError, ValueError):  # e.g. dict keys the encoder will not stringify, or NaN
        _refuse_non_finite(values)
        return "".join(json.dumps(to_jsonable(v), allow_nan=False) + "\n" for v in values)


# --- argument checks and output paths: one wording for every command ------------------------
def int_in_range(value: int | None, name: str, *, least: int = 1,
                 most: int | None = None) -> int | None:
    """`value` when it is None (not given) or a whole number in [least, most]; else UsageError
    naming the argument and the allowed range."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < least or \
            (most is not None and value > most):
        allowed = f"from {least:,} to {most:,}" if most is not None else f"at least {least:,}"
        raise UsageError(f"{name} must be a whole number {allowed}, got {value}")
    return value


def positive_int(value: int | None, name: str, *, most: int | None = None) -> int | None:
    """A count that must be at least 1 (steps, layers, examples)."""
    return int_in_range(value, name, least=1, most=most)


def non_negative_int(value: int | None, name: str, *, most: int | None = None) -> int | None:
    """A count that may be 0 (an arity, extra lengths)."""
    return int_in_range(value, name, least=0, most=most)


def _number(value: float | None, name: str, above: float, inclusive: bool) -> float | None:
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < above or (value == above and not inclusive):
        allowed = f"at least {above:g}" if inclusive else f"above {above:g}"
        raise UsageError(f"{name} must be a number {allowed}, got {value}")
    return value


def positive_float(value: float | None, name: str) -> float | None:
    """A number that must be above 0 (a time budget, a learning rate)."""
    return _number(value, name, 0.0, inclusive=False)


def non_negative_float(value: float | None, name: str) -> float | None:
    """A number that may be 0 (a loss weight)."""
    return _number(value, name, 0.0, inclusive=True)


def check_writable(path: str | os.PathLike[str] | None, what: str, *,
                   folder: bool = False) -> Path | None:
    """Refuse, before any work, an output that could not be written; `what` names the argument
    (`-o`). Nothing is created: a missing parent folder is an error, not made for the user.

    A file output must not be a folder, its folder must exist and take new files, an existing
    file must be writable. With `folder=True` the output is a folder (made by the command): it
    may exist as a folder or be missing under an existing, writable parent."""
    if path is None:
        return None
    p = Path(path)
    if folder:
        if p.exists() and not p.is_dir():
            raise OutputError(f"{what} {path}: a file is in the way (the output is a folder)")
        parent = p if p.is_dir() else p.parent
    else:
        if p.is_dir():
            raise OutputError(f"{what} {path} is a folder; give a file name")
        parent = p.parent
    if not parent.exists():
        raise OutputError(f"{what} {path}: folder {parent} does not exist (create it first)")
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: {parent} is not a folder")
    if p.is_file() and not os.access(p, os.W_OK):
        raise OutputError(f"{what} {path}: the file is read-only")
    try:  # os.access ignores read-only mounts and is always true for root: try a file
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".rasplab-check-"):
            pass
    except OSError as exc:
        raise OutputError(f"{what} {path}: cannot write in folder {parent} "
                          f"({exc.strerror or exc})") from None
    return p


def try_writing(what: str, path: str | os.PathLike[str],
                write: Callable[[], object]) -> RaspLabError | None:
    """Run `write` (the last step of a command); None when it worked, else the one-line error
    to raise after the command has printed its result, so a failed write loses nothing."""
    try:
        write()
    except RaspLabError as exc:
        return exc
    except OSError as exc:
        return OutputError(f"{what} {path}: could not write ({exc.strerror or exc})")
    return None
