"""The JSONL examples format: round trips and one clear error per kind of malformed line."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasplab.errors import ExamplesError
from rasplab.tasks import (
    Example,
    format_examples,
    get_task,
    load_examples,
    load_inputs,
    make_dataset,
    parse_input_lines,
    parse_lines,
    write_examples,
)
from rasplab.tasks.examples import _parse_in_bulk, _parse_line_by_line


def test_write_then_load_round_trip(tmp_path):
    path = tmp_path / "ex.jsonl"
    inputs = [list("abc"), [1, 2], ["x"]]
    outputs = [["c", "b", "a"], [0.5, None], [True]]
    write_examples(path, inputs, outputs)
    loaded = load_examples(path)
    assert loaded == [Example(("a", "b", "c"), ("c", "b", "a")), Example((1, 2), (0.5, None)),
                      Example(("x",), (True,))]


def test_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "ex.jsonl"
    path.write_text('\n{"input": ["a"], "output": [1]}\n\n   \n{"input": ["b"], "output": [2]}\n')
    assert [e.output for e in load_examples(path)] == [(1,), (2,)]


@pytest.mark.parametrize("line, message", [
    ('{"input": ["a"], "output": [1]', "invalid JSON"),
    ('["a"]', "expected an object"),
    ('{"output": [1]}', "missing key 'input'"),
    ('{"input": ["a"]}', "missing key 'output'"),
    ('{"input": "ab", "output": [1, 2]}', "'input' must be a list"),
    ('{"input": [], "output": []}', "empty input"),
    ('{"input": ["a", "b"], "output": [1]}', "2 tokens but output has 1"),
    ('{"input": ["a", 1.5], "output": [1, 2]}', "input token 1 is 1.5"),
    ('{"input": ["a", true], "output": [1, 2]}', "input token 1 is True"),
    ('{"input": ["a"], "output": [[1]]}', "output value 0"),
    ('{"input": ["a", ["b"]], "output": [1, 2]}', r"input token 1 is \['b'\]"),
    ('{"input": [1, 2.0], "output": [1, 2]}', "input token 1 is 2.0"),
    ('{"input": [null], "output": [1]}', "input token 0 is None"),
    ('{"input": ["a", "b"], "output": [1, {"k": 2}]}', r"output value 1 is \{'k': 2\}"),
    ('{"input": ["a"], "output": [NaN]}', "output value 0 is nan"),
    ('{"input": ["a"], "output": [1e999]}', "output value 0 is inf"),
    ('{"input": ["a", "b"], "output": null}', "'output' must be a list"),
    ('null', "expected an object"),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"input": ["z"], "output": ["z"]}\n\n' + line + "\n")
    with pytest.raises(ExamplesError, match=rf"bad\.jsonl:3: .*{message}"):
        load_examples(path)


def test_conflicting_outputs_name_both_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [{"input": ["a", "b"], "output": [1, 2]}, {"input": ["b"], "output": [0]},
            {"input": ["a", "b"], "output": [1, 2]}, {"input": ["a", "b"], "output": [1, 3]}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(ExamplesError, match=r"c\.jsonl:4: .*different output on line 1"):
        load_examples(path)
    # integer 1 and string "1" are different tokens: no conflict
    path.write_text('{"input": [1], "output": [1]}\n{"input": ["1"], "output": [2]}\n')
    assert len(load_examples(path)) == 2


def test_missing_file_is_an_examples_error(tmp_path):
    with pytest.raises(ExamplesError, match="no such examples file"):
        load_examples(tmp_path / "absent.jsonl")


def test_make_dataset_is_seeded_and_labelled_by_the_reference(tmp_path):
    data = make_dataset("reverse", 50, seed=3, max_len=6)
    assert data == make_dataset(get_task("reverse"), 50, seed=3, max_len=6)
    assert all(e.output == e.input[::-1] and len(e.input) <= 6 for e in data)
    path = tmp_path / "d.jsonl"
    write_examples(path, [e.input for e in data], [e.output for e in data])
    assert load_examples(path) == data


def test_write_rejects_mismatched_lengths(tmp_path):
    with pytest.raises(ExamplesError, match="example 2"):
        write_examples(tmp_path / "x.jsonl", [["a"], ["a", "b"]], [["a"], ["a"]])


def _lines_with_bad_one(bad: str, at: int, total: int = 300) -> list[str]:
    lines = [json.dumps({"input": [i, "t"], "output": [i % 7, None]}) for i in range(total)]
    lines[at - 1] = bad
    lines.insert(10, "")  # blank lines count for the line numbers
    return lines


@pytest.mark.parametrize("bad, message", [
    ('{"input": [1, 2.5], "output": [1, 2]}', "input token 1 is 2.5"),
    ('{"input": [1, true], "output": [1, 2]}', "input token 1 is True"),
    ('{"input": [1, [2]], "output": [1, 2]}', "input token 1 is \\[2\\]"),
    ('{"input": [1, 2, 3], "output": [1, 2]}', "3 tokens but output has 2"),
    ('{"input": [1], "output": [{"a": 1}]}', "output value 0 is \\{'a': 1\\}"),
    ('{"input": [1], "output": [1]', "invalid JSON"),
])
def test_errors_deep_in_a_large_file_name_their_line(bad, message):
    lines = _lines_with_bad_one(bad, at=250)  # line 250 before the blank, 251 after
    with pytest.raises(ExamplesError, match=rf"^big\.jsonl:251: .*{message}"):
        parse_lines(lines, "big.jsonl")


def test_the_first_bad_line_in_file_order_is_named():
    lines = _lines_with_bad_one('{"input": [1, 2.5], "output": [1, 2]}', at=200)
    lines[50] = '{"input": [1, 2], "output": [1]}'  # line 51: reported, though a length error
    with pytest.raises(ExamplesError, match=r"^f:51: input has 2 tokens"):
        parse_lines(lines, "f")


def test_outputs_of_different_types_are_different_outputs():
    for a, b in (("1", "1.0"), ("1", "true"), ("0", "false"), ('"1"', "1")):
        lines = [f'{{"input": ["x"], "output": [{a}]}}', "",
                 f'{{"input": ["x"], "output": [{b}]}}']
        with pytest.raises(ExamplesError, match=r"f:3: .*different output on line 1"):
            parse_lines(lines, "f")
    same = ['{"input": ["x", 2], "output": [1.5, null]}'] * 3
    assert parse_lines(same) == [Example(("x", 2), (1.5, None))] * 3


def test_run_inputs_need_no_outputs(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('["a", "b"]\n\n{"input": [1, 2, 3]}\n{"input": ["c"], "output": [0]}\n'
                    '{"input": ["d"], "extra": 1}\n')
    assert load_inputs(path) == [["a", "b"], [1, 2, 3], ["c"], ["d"]]
    path.write_text("\n".join(json.dumps(list("abc")[: 1 + i % 3]) for i in range(100)))
    assert load_inputs(path)[:4] == [["a"], ["a", "b"], ["a", "b", "c"], ["a"]]
    path.write_text("\n".join(json.dumps({"input": [i, i + 1]}) for i in range(100)))
    assert load_inputs(path)[99] == [99, 100]


@pytest.mark.parametrize("line, message", [
    ('["a", 1.5]', "input token 1 is 1.5"),
    ('["a", ["b"]]', r"input token 1 is \['b'\]"),
    ('[false]', "input token 0 is False"),
    ("[]", "empty input"),
    ('{"input": []}', "empty input"),
    ('{"output": ["a"]}', "missing key 'input'"),
    ('{"input": "ab"}', "'input' must be a list"),
    ('"ab"', "expected a JSON list of tokens or an object"),
    ('{"input": ["a", "b"], "output": [1]}', "2 tokens but output has 1"),  # outputs still checked
    ('{"input": ["z"], "output": [3]}', "different output on line 1"),
    ("[1, 2", "invalid JSON"),
])
def test_malformed_run_inputs_name_the_line(line, message):
    lines = ['{"input": ["z"], "output": [1]}', "[1, 2]", ""] + ["[3, 4]"] * 100 + [line, "[5]"]
    with pytest.raises(ExamplesError, match=rf"^in\.jsonl:104: .*{message}"):
        parse_input_lines(lines, "in.jsonl")


def test_synthesis_files_still_need_outputs(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"input": ["a"], "output": ["a"]}\n{"input": ["b"]}\n')
    with pytest.raises(ExamplesError, match=r"in\.jsonl:2: missing key 'output'"):
        load_examples(path)
    path.write_text('["a", "b"]\n')
    with pytest.raises(ExamplesError, match=r"in\.jsonl:1: expected an object"):
        load_examples(path)


def test_numpy_values_are_written_as_plain_json(tmp_path):
    path = tmp_path / "np.jsonl"
    inputs = [np.array([3, 1]), [np.int64(2)], np.array(["a", "b"])]
    outputs = [[np.float64(0.5), np.bool_(True)], np.array([7]), ["x", None]]
    write_examples(path, inputs, outputs)
    assert load_examples(path) == [Example((3, 1), (0.5, True)), Example((2,), (7,)),
                                   Example(("a", "b"), ("x", None))]
    with pytest.raises(ExamplesError, match=r"example 1: output value 0 is nan"):
        write_examples(path, [[1]], [[np.float64("nan")]])


def test_written_lines_are_the_documented_json_objects():
    text = format_examples([["a", 1], ["b"]], [[None, 0.25], [True]])
    assert text.splitlines() == [json.dumps({"input": ["a", 1], "output": [None, 0.25]}),
                                 json.dumps({"input": ["b"], "output": [True]})]
    with pytest.raises(ExamplesError, match=r"example 2: input token 0 is 1.5"):
        format_examples([["a"], [1.5]], [[1], [2]])
    with pytest.raises(ExamplesError, match="2 inputs but 1 outputs"):
        format_examples([["a"], ["b"]], [[1]])


_tokens = st.one_of(st.sampled_from(["a", "b", "1"]), st.integers(-2, 2))
_values = st.one_of(_tokens, st.booleans(), st.none(), st.sampled_from([0.5, 1.0, -0.0]))
_junk = st.one_of(st.floats(allow_nan=True), st.booleans(), st.none(),
                  st.lists(_tokens, max_size=1),
                  st.dictionaries(st.sampled_from(["k"]), _tokens, max_size=1))


@st.composite
def _jsonl(draw) -> list[str]:
    """Mostly well-formed lines with now and then one fault of each kind."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        x = draw(st.lists(_tokens, min_size=1, max_size=3))
        y = draw(st.lists(_values, min_size=len(x), max_size=len(x)))
        obj: object = {"input": x, "output": y}
        fault = draw(st.sampled_from(["none"] * 6 + ["token", "value", "length", "no output",
                                                      "bare", "blank", "conflict", "empty"]))
        if fault == "token":
            x[draw(st.integers(0, len(x) - 1))] = draw(_junk)
        elif fault == "value":
            y[draw(st.integers(0, len(y) - 1))] = draw(_junk)
        elif fault == "length":
            y.append(0)
        elif fault == "no output":
            obj = {"input": x}
        elif fault == "bare":
            obj = x
        elif fault == "conflict" and lines:
            obj = json.loads(lines[-1]) if lines[-1].strip() else obj
            if isinstance(obj, dict) and isinstance(obj.get("output"), list) and obj["output"]:
                obj["output"][0] = draw(_values)
        elif fault == "empty":
            obj = {"input": [], "output": []}
        lines.append("  " if fault == "blank" else json.dumps(obj))
    return lines


@settings(max_examples=300, deadline=None)
@given(_jsonl(), st.booleans())
def test_bulk_reader_agrees_with_the_line_by_line_reader(lines, need_output):
    """The bulk checks accept exactly what the line-by-line reader accepts, with equal data."""
    bulk = _parse_in_bulk(lines, need_output)
    try:
        reference = _parse_line_by_line(lines, "f", need_output)
    except ExamplesError:
        assert bulk is None
        return
    if bulk is not None:
        assert bulk[0] == reference[0]
        if need_output:
            assert bulk[1] == reference[1]
            assert [list(map(type, y)) for y in bulk[1]] == \
                [list(map(type, y)) for y in reference[1]]
    else:  # only a mixture of bare lists and objects in a file of inputs takes the slow path
        assert not need_output and len({type(json.loads(s)) for s in lines if s.strip()}) == 2
