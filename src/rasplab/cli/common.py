"""Helpers shared by the command modules: parsing inputs, printing JSON and values."""
from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable

from rasplab.errors import ExamplesError, OutputError, RaspLabError, UsageError


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
