"""Output paths: checked before the work (`check_writable`), and a write that still fails at
the end comes after the result is printed, as one error line with exit 2."""
from __future__ import annotations

import pytest

import rasplab.cli.cmd_compile
import rasplab.cli.cmd_synth
from rasplab.cli.common import check_writable
from rasplab.cli.main import main
from rasplab.errors import OutputError


def test_check_writable_refuses_what_cannot_be_written_and_creates_nothing(tmp_path):
    (tmp_path / "file").write_text("x")
    assert check_writable(tmp_path / "out.json", "-o") == tmp_path / "out.json"
    assert check_writable(None, "-o") is None
    for path, message in ((tmp_path / "no" / "out.json", "does not exist"),
                          (tmp_path, "is a folder"),
                          (tmp_path / "file" / "out.json", "is not a folder")):
        with pytest.raises(OutputError, match=message):
            check_writable(path, "-o")
    assert check_writable(tmp_path / "report", "-o", folder=True) == tmp_path / "report"
    with pytest.raises(OutputError, match="a file is in the way"):
        check_writable(tmp_path / "file", "-o", folder=True)
    with pytest.raises(OutputError, match="does not exist"):
        check_writable(tmp_path / "no" / "report", "-o", folder=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.fixture
def late_failure(tmp_path, monkeypatch):
    """A working folder where the up-front check passes but the folder is gone at the end."""
    monkeypatch.chdir(tmp_path)
    for module in (rasplab.cli.cmd_synth, rasplab.cli.cmd_compile):
        monkeypatch.setattr(module, "check_writable", lambda *a, **k: None)
    return tmp_path


def test_synth_prints_the_program_before_a_failed_write(late_failure, capsys):
    (late_failure / "ex.jsonl").write_text('{"input": ["a", "b"], "output": ["b", "a"]}\n'
                                          '{"input": ["c"], "output": ["c"]}\n')
    code = main(["synth", "--examples", "ex.jsonl", "--timeout", "10", "-o", "gone/p.rasp"])
    out, err = capsys.readouterr()
    assert code == 2 and "program = " in out  # the program found is not lost
    errors = [line for line in err.splitlines() if "error" in line]
    assert errors == [err.strip().splitlines()[-1]]
    assert errors[0].startswith("rasplab synth: error: -o gone/p.rasp: could not write")


def test_compile_prints_the_architecture_before_a_failed_write(late_failure, capfd):
    code = main(["compile", "reverse", "--vocab", "a", "b", "--max-len", "3",
                 "-o", "gone/m.safetensors"])
    out, err = capfd.readouterr()
    assert code == 2 and "reverse: " in out and "layers" in out and "wrote" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "gone" in lines[0] and "does not exist" in lines[0]
