"""The JSONL examples format: round trips and one clear error per kind of malformed line."""
import json

import pytest

from rasplab.errors import ExamplesError
from rasplab.tasks import Example, get_task, load_examples, make_dataset, write_examples


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
