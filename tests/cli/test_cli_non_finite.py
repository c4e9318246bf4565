"""NaN and infinity: JSON has neither. Examples files holding them are refused; `run --json`
refuses to write them (naming the output) rather than print invalid JSON; summaries write
non-finite figures as null."""
import json
import math

import pytest

from rasplab.cli.common import json_lines, print_json
from rasplab.cli.main import main
from rasplab.errors import ExamplesError, RaspRuntimeError
from rasplab.tasks import load_examples


def test_run_json_refuses_non_finite_outputs_and_the_plain_view_prints_them(tmp_path, capsys):
    prog = tmp_path / "big.rasp"
    prog.write_text("y = tokens * 1e308 * 10;\n")
    assert main(["run", str(prog), "[1, 2]", "--json"]) == 2
    err = capsys.readouterr().err
    assert "output 1 holds inf at position 0" in err and len(err.strip().splitlines()) == 1
    assert main(["run", str(prog), "[1, 2]"]) == 0
    assert capsys.readouterr().out.strip() == "[1, 2] -> inf inf"
    nan = tmp_path / "nan.rasp"
    nan.write_text("y = tokens * 1e308 * 10 - tokens * 1e308 * 10;\n")
    assert main(["run", str(nan), "[3]", "[1, 2]", "--json"]) == 2
    assert "output 1 holds nan" in capsys.readouterr().err


def test_json_lines_writes_finite_outputs_and_names_the_first_non_finite():
    assert json_lines([[1, 2.5, None], ["a"]]) == '[1, 2.5, null]\n["a"]\n'
    with pytest.raises(RaspRuntimeError, match="output 2 holds -inf at position 1"):
        json_lines([[1.0], [0.0, -math.inf]])


def test_summaries_write_non_finite_figures_as_null(capsys):
    print_json({"agreement": math.nan, "cost": math.inf, "per_length": {"1": [1.0, -math.inf]}})
    doc = json.loads(capsys.readouterr().out)  # strict JSON parses it
    assert doc == {"agreement": None, "cost": None, "per_length": {"1": [1.0, None]}}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_examples_files_refuse_non_finite_outputs(tmp_path, value):
    path = tmp_path / "ex.jsonl"
    path.write_text('{"input": [1, 2], "output": [1, 2]}\n'
                    f'{{"input": [3], "output": [{value}]}}\n')
    with pytest.raises(ExamplesError, match="ex.jsonl:2"):
        load_examples(path)
