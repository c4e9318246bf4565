"""The JSONL examples format: one `{"input": [...], "output": [...]}` object a line.

Loading validates everything and raises ExamplesError naming the file and line, so synthesis and
training never see a malformed example. Files are read and written in bulk: lines are decoded by
the C JSON decoder and checked with C-level passes (`map(type, ...)`, `map(len, ...)`); only a
file that fails those checks is walked line by line, to name the first bad line exactly.
"""
from __future__ import annotations

import gc
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import is_, itemgetter
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from rasplab.errors import ExamplesError
from rasplab.jsonio import encode_rows
from rasplab.tasks.canonical import parse_canonical

_TOKEN_TYPES = frozenset({str, int})
_OUTPUT_TYPES = frozenset({str, int, float, bool, type(None)})
_MISSING = object()


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


def _check_tokens(inp: list, where: str) -> None:
    for i, t in enumerate(inp):
        if not _is_token(t):
            raise ExamplesError(f"{where}: input token {i} is {t!r}; tokens are strings or "
                                "integers")


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
    _check_tokens(inp, where)
    for i, v in enumerate(out):
        if not _is_output(v):
            raise ExamplesError(f"{where}: output value {i} is {v!r}; outputs are strings, "
                                "numbers, booleans or null")
    return Example(tuple(inp), tuple(out))


def parse_input_object(obj: Any, where: str) -> list:
    """Validate one decoded line of inputs to run: a JSON list of tokens, or an object with
    "input" (its "output", when present, is checked as in an examples file)."""
    if isinstance(obj, dict) and "output" in obj:
        return list(parse_example(obj, where).input)
    if isinstance(obj, dict):
        if "input" not in obj:
            raise ExamplesError(f"{where}: missing key 'input'")
        obj = obj["input"]
        if not isinstance(obj, list):
            raise ExamplesError(f"{where}: 'input' must be a list, got {type(obj).__name__}")
    elif not isinstance(obj, list):
        raise ExamplesError(f"{where}: expected a JSON list of tokens or an object with "
                            f"\"input\", got {type(obj).__name__}")
    if not obj:
        raise ExamplesError(f"{where}: empty input (RASP inputs are non-empty)")
    _check_tokens(obj, where)
    return obj


# --- bulk checks: C-level passes over all lines at once; False means "look line by line" ------

@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: decoding creates tens of thousands of lists, none in
    a cycle, and the collections they trigger cost a third of the decoding time (the CLI pauses
    it for a whole `run` or `data` for the same reason)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _inputs_ok(inputs: list) -> bool:
    """Every input a non-empty list of str/int tokens (exact types, as JSON decodes them)."""
    return (set(map(type, inputs)) <= {list} and all(map(len, inputs))
            and set(map(type, chain.from_iterable(inputs))) <= _TOKEN_TYPES)


def _outputs_ok(inputs: list, outputs: list) -> bool:
    """Every output a list as long as its input, of str/number/bool/null, finite floats."""
    if not set(map(type, outputs)) <= {list} or \
            list(map(len, inputs)) != list(map(len, outputs)):
        return False
    flat = list(chain.from_iterable(outputs))
    kinds = set(map(type, flat))
    if not kinds <= _OUTPUT_TYPES:
        return False
    if float in kinds:
        floats = np.fromiter(compress(flat, map(is_, map(type, flat), repeat(float))), float)
        return bool(np.isfinite(floats).all())
    return True


def _same_labels(a: list, b: list) -> bool:
    return a == b and list(map(type, a)) == list(map(type, b))


def _consistent(inputs: list, outputs: list) -> bool:
    """No input given two different outputs (1, 1.0 and True are different outputs)."""
    keys = list(map(tuple, inputs))
    if len(set(keys)) == len(keys):
        return True
    first: dict[tuple, int] = {}
    for i, key in enumerate(keys):  # only files with repeated inputs get here
        j = first.setdefault(key, i)
        if j != i and not _same_labels(outputs[i], outputs[j]):
            return False
    return True


def _parse_in_bulk(lines: list[str], need_output: bool) -> tuple[list, list | None] | None:
    """Inputs and outputs (None where `need_output` is False and some line has none), or None
    when any check fails; the line-by-line reader then names the first bad line."""
    try:
        objs = list(map(json.loads, filter(str.strip, lines)))
    except (json.JSONDecodeError, RecursionError):
        return None
    kinds = set(map(type, objs))
    if not need_output and kinds <= {list}:
        return (objs, None) if _inputs_ok(objs) else None
    if not kinds <= {dict}:
        return None
    try:
        inputs = list(map(itemgetter("input"), objs))
    except KeyError:
        return None
    outputs = list(map(dict.get, objs, repeat("output"), repeat(_MISSING)))
    if _MISSING in outputs:  # compared by identity first, so this is a C-level scan
        if need_output:
            return None
        given = [o is not _MISSING for o in outputs]
        with_out = list(compress(inputs, given))
        outputs = list(compress(outputs, given))
        ok = _inputs_ok(inputs) and _outputs_ok(with_out, outputs) and \
            _consistent(with_out, outputs)
        return (inputs, None) if ok else None
    ok = _inputs_ok(inputs) and _outputs_ok(inputs, outputs) and _consistent(inputs, outputs)
    return (inputs, outputs) if ok else None


def _parse_line_by_line(lines: Iterable[str], name: str, need_output: bool,
                        ) -> tuple[list, list | None]:
    """The reference reader: checks each line in order and raises on the first bad one."""
    inputs: list[list] = []
    outputs: list[list | None] = []
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
        except RecursionError:
            raise ExamplesError(f"{where}: invalid JSON (nested too deeply)") from None
        if not need_output and not (isinstance(obj, dict) and "output" in obj):
            inputs.append(parse_input_object(obj, where))
            outputs.append(None)
            continue
        ex = parse_example(obj, where)
        key = tuple(_freeze(t) for t in ex.input)
        out = tuple(_freeze(v) for v in ex.output)
        if key in seen and seen[key][1] != out:
            raise ExamplesError(f"{where}: input {list(ex.input)!r} was given a different "
                                f"output on line {seen[key][0]}")
        seen.setdefault(key, (lineno, out))
        inputs.append(list(ex.input))
        outputs.append(list(ex.output))
    return inputs, (None if None in outputs else outputs)


def _parse(lines: Iterable[str], name: str, need_output: bool) -> tuple[list, list | None]:
    lines = lines if isinstance(lines, list) else list(lines)
    with paused_gc():
        parsed = parse_canonical(lines, need_output)  # the layout `rasplab data` writes
        if parsed is None:
            parsed = _parse_in_bulk(lines, need_output)
    return parsed if parsed is not None else _parse_line_by_line(lines, name, need_output)


def parse_lines(lines: Iterable[str], name: str = "<examples>") -> list[Example]:
    """Examples from JSONL text lines (blank lines skipped); errors name `name` and the line."""
    inputs, outputs = _parse(lines, name, need_output=True)
    assert outputs is not None
    with paused_gc():
        return list(map(Example, map(tuple, inputs), map(tuple, outputs)))


def parse_input_lines(lines: Iterable[str], name: str = "<inputs>") -> list[list]:
    """Inputs to run, one a line: an example object (its output optional) or a bare JSON list
    of tokens; blank lines skipped; errors name `name` and the line."""
    return _parse(lines, name, need_output=False)[0]


def _read_lines(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExamplesError(f"{path}: no such examples file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExamplesError(f"{path}: cannot read examples file ({exc})") from None
    return text.splitlines()


def load_examples(path: str | Path) -> list[Example]:
    """Every example of a JSONL file; ExamplesError naming the file and line on bad content."""
    return parse_lines(_read_lines(path), str(path))


def load_inputs(path: str | Path) -> list[list]:
    """The inputs of a JSONL file of examples or of bare token lists (outputs optional), for
    running a program; ExamplesError naming the file and line on bad content."""
    return parse_input_lines(_read_lines(path), str(path))


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _encoded_ok(ins: list, outs: list, xs: bytes | None, ys: bytes | None) -> bool:
    """The checks of `_inputs_ok` and `_outputs_ok`, read off rows `encode_rows` took: their
    values are strings, integers, booleans and nulls, so only booleans and nulls among the
    tokens (spelled true, false, null: a string holding those words only costs the full check)
    and the lengths remain to be seen."""
    return xs is not None and ys is not None and all(map(len, ins)) and \
        list(map(len, ins)) == list(map(len, outs)) and \
        not any(map(xs.__contains__, (b"true", b"false", b"null")))


def format_examples(inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]]) -> str:
    """JSONL text for examples (validated: equal lengths, non-empty inputs, plain values);
    errors name the example (1-based)."""
    if len(inputs) != len(outputs):
        raise ExamplesError(f"{len(inputs)} inputs but {len(outputs)} outputs")
    ins = inputs if set(map(type, inputs)) <= {list} else list(map(list, inputs))
    outs = outputs if set(map(type, outputs)) <= {list} else list(map(list, outputs))
    if not ins:
        return ""
    xs, ys = encode_rows(ins), encode_rows(outs)  # in bulk where the text is the same
    if not (_encoded_ok(ins, outs, xs, ys) or (_inputs_ok(ins) and _outputs_ok(ins, outs))):
        ins = [[_plain(t) for t in x] for x in ins]  # numpy values, or a real error
        outs = [[_plain(v) for v in y] for y in outs]
        for i, (x, y) in enumerate(zip(ins, outs), start=1):
            parse_example({"input": x, "output": y}, f"example {i}")
        xs, ys = encode_rows(ins), encode_rows(outs)
    if xs is not None and ys is not None:  # ASCII both: the lines joined as bytes, in C
        parts = zip(repeat(b'{"input": '), xs.split(b"\n"), repeat(b', "output": '),
                    ys.split(b"\n"), repeat(b"}\n"))
        return b"".join(chain.from_iterable(parts)).decode("ascii")
    xs = xs.decode("ascii").split("\n") if xs is not None else list(map(json.dumps, ins))
    ys = ys.decode("ascii").split("\n") if ys is not None else list(map(json.dumps, outs))
    return "".join(map('{{"input": {}, "output": {}}}\n'.format, xs, ys))


def write_examples(path: str | Path, inputs: Sequence[Sequence[Any]],
                   outputs: Sequence[Sequence[Any]]) -> None:
    """Write examples as JSONL (validated: equal lengths, non-empty inputs)."""
    Path(path).write_text(format_examples(inputs, outputs), encoding="utf-8")


def make_dataset(task: Any, n: int, seed: int = 0, max_len: int | None = None,
                 min_len: int | None = None) -> list[Example]:
    """`n` examples of a task (a Task or its name), labelled by its plain-Python reference."""
    if isinstance(task, str):
        from rasplab.tasks.registry import get_task
        task = get_task(task)
    inputs = task.sample(n, np.random.default_rng(seed), min_len=min_len, max_len=max_len)
    outputs = task.outputs(inputs)
    return [Example(tuple(x), tuple(y)) for x, y in zip(inputs, outputs)]
