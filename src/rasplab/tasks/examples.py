"""The JSONL examples format: one `{"input": [...], "output": [...]}` object a line.

Loading validates everything and raises ExamplesError naming the file and line, so synthesis and
training never see a malformed example.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from rasplab.errors import ExamplesError


@dataclass(frozen=True)
class Example:
    """One input sequence and its output sequence (same length)."""

    input: tuple
    output: tuple


def _is_token(t: Any) -> bool:
    return isinstance(t, str | int) and not isinstance(t, bool)


def _is_output(v: Any) -> bool:
    return v is None or isinstance(v, str | bool | int) or (isinstance(v, float)
                                                           and math.isfinite(v))


def _freeze(v: Any) -> Any:
    # outputs compare by value and type: 1, 1.0 and True are different labels
    return (type(v).__name__, v)


def parse_example(obj: Any, where: str) -> Example:
    """Validate one decoded JSON object; `where` ("file:line") prefixes every error."""
    if not isinstance(obj, dict):
        raise ExamplesError(f"{where}: expected an object with \"input\" and \"output\", "
                            f"got {type(obj).__name__}")
    for key in ("input", "output"):
        if key not in obj:
            raise ExamplesError(f"{where}: missing key {key!r}")
        if not isinstance(obj[key], list):
            raise ExamplesError(f"{where}: {key!r} must be a list, got "
                                f"{type(obj[key]).__name__}")
    inp, out = obj["input"], obj["output"]
    if not inp:
        raise ExamplesError(f"{where}: empty input (RASP inputs are non-empty)")
    if len(inp) != len(out):
        raise ExamplesError(f"{where}: input has {len(inp)} tokens but output has {len(out)} "
                            "values")
    for i, t in enumerate(inp):
        if not _is_token(t):
            raise ExamplesError(f"{where}: input token {i} is {t!r}; tokens are strings or "
                                "integers")
    for i, v in enumerate(out):
        if not _is_output(v):
            raise ExamplesError(f"{where}: output value {i} is {v!r}; outputs are strings, "
                                "numbers, booleans or null")
    return Example(tuple(inp), tuple(out))


def parse_lines(lines: Iterable[str], name: str = "<examples>") -> list[Example]:
    """Examples from JSONL text lines (blank lines skipped); errors name `name` and the line."""
    examples: list[Example] = []
    seen: dict[tuple, tuple[int, tuple]] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExamplesError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") \
                from None
        ex = parse_example(obj, where)
        key = tuple(_freeze(t) for t in ex.input)
        out = tuple(_freeze(v) for v in ex.output)
        if key in seen and seen[key][1] != out:
            raise ExamplesError(f"{where}: input {list(ex.input)!r} was given a different "
                                f"output on line {seen[key][0]}")
        seen.setdefault(key, (lineno, out))
        examples.append(ex)
    return examples


def load_examples(path: str | Path) -> list[Example]:
    """Every example of a JSONL file; ExamplesError naming the file and line on bad content."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExamplesError(f"{path}: no such examples file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExamplesError(f"{path}: cannot read examples file ({exc})") from None
    return parse_lines(text.splitlines(), str(path))


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def dumps_example(inp: Sequence[Any], out: Sequence[Any]) -> str:
    """One JSONL line for an example."""
    return json.dumps({"input": [_plain(t) for t in inp], "output": [_plain(v) for v in out]})


def write_examples(path: str | Path, inputs: Sequence[Sequence[Any]],
                   outputs: Sequence[Sequence[Any]]) -> None:
    """Write examples as JSONL (validated: equal lengths, non-empty inputs)."""
    if len(inputs) != len(outputs):
        raise ExamplesError(f"{len(inputs)} inputs but {len(outputs)} outputs")
    lines = []
    for i, (x, y) in enumerate(zip(inputs, outputs), start=1):
        line = dumps_example(x, y)
        parse_example(json.loads(line), f"example {i}")
        lines.append(line)
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def make_dataset(task: Any, n: int, seed: int = 0, max_len: int | None = None,
                 min_len: int | None = None) -> list[Example]:
    """`n` examples of a task (a Task or its name), labelled by its plain-Python reference."""
    if isinstance(task, str):
        from rasplab.tasks.registry import get_task
        task = get_task(task)
    inputs = task.sample(n, np.random.default_rng(seed), min_len=min_len, max_len=max_len)
    outputs = task.outputs(inputs)
    return [Example(tuple(x), tuple(y)) for x, y in zip(inputs, outputs)]
