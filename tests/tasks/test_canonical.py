"""The numpy reader of canonical examples files: it returns what the JSON reader returns, and
refuses (None) every line that is not in `rasplab data`'s layout, for the JSON reader."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rasplab.tasks import format_examples, parse_input_lines, parse_lines
from rasplab.tasks.canonical import parse_canonical
from rasplab.tasks.examples import _parse_line_by_line

TOKENS = ["a", "z", " ", ",", "'", "]", "[", "{", ":", "~", 0, 7, -3, 10, 99, -120,
          123456789012345678, -987654321]


def random_lines(seed: int, n: int = 60) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        k = int(rng.integers(1, 9))
        x = [TOKENS[j] for j in rng.integers(0, len(TOKENS), k)] + [i]  # distinct inputs
        y = [TOKENS[j] for j in rng.integers(0, len(TOKENS), k + 1)]
        lines.append(json.dumps({"input": x, "output": y}))
        if rng.random() < 0.1:
            lines.append("   ")
    return lines


@pytest.mark.parametrize("seed", range(5))
def test_canonical_lines_read_as_the_json_reader_reads_them(seed: int) -> None:
    lines = random_lines(seed)
    got = parse_canonical(lines, need_output=True)
    assert got is not None
    assert got == _parse_line_by_line(lines, "f", need_output=True)
    inputs, outputs = got
    assert all(type(t) in (str, int) for x in inputs for t in x)
    only_inputs = parse_canonical(lines, need_output=False)
    assert only_inputs == (inputs, None)


def test_every_written_file_of_tokens_reads_back() -> None:
    inputs = [list("hello"), [3, 1, 2], ["a", 5]]
    outputs = [list("olleh"), [1, 2, 3], [0, "b"]]
    lines = format_examples(inputs, outputs).splitlines()
    assert parse_canonical(lines, need_output=True) == (inputs, outputs)
    examples = parse_lines(lines)
    assert [list(e.input) for e in examples] == inputs


@pytest.mark.parametrize("line", [
    '{"input": [], "output": []}', '{"input": [01], "output": [1]}',
    '{"input": [-0], "output": [1]}', '{"input": [1.5], "output": [1]}',
    '{"input": ["ab"], "output": [1]}', '{"input": [1], "output": [1, 2]}',
    '{"input": [1,2], "output": [1, 2]}', '{"input": [1 ], "output": [1]}',
    '{"input": [true], "output": [1]}', '{"input": [1], "output": [null]}',
    '{"input": ["\\u00e9"], "output": [1]}', '{"input": ["é"], "output": [1]}',
    '{"input": [1234567890123456789], "output": [1]}', '{"input": [", "], "output": [1]}',
    '{"input": ["a", "b"], "output": ["], \\"output\\": [", 1]}',
    '{"input": ["a"], "output": ["""]}', '{"input": [1-2], "output": [1]}',
    '{"input": [-], "output": [1]}', '{"input": ["\t"], "output": [1]}',
    '{"output": [1], "input": [1]}', '{"input": [1]}', '[1, 2]', '{"input": [[1]], "output": [1]}',
    '{"input":[1], "output": [1]}', '{"input": [1], "output": [1]} ',
])
def test_lines_outside_the_layout_are_left_to_the_json_reader(line: str) -> None:
    for need in (True, False):
        assert parse_canonical(['{"input": [1], "output": [2]}', line], need) is None


def test_repeated_inputs_are_left_to_the_json_reader() -> None:
    lines = ['{"input": ["a"], "output": [1]}', '{"input": ["a"], "output": [2]}']
    assert parse_canonical(lines, need_output=True) is None
    with pytest.raises(Exception, match="line 1"):
        parse_lines(lines, "f")
    assert parse_input_lines(['{"input": ["a"], "output": [1]}'] * 2) == [["a"], ["a"]]
