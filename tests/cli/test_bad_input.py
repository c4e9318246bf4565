"""Malformed command lines: each is refused before any work with one stderr line naming the
argument and what it allows, exit 2, no traceback, nothing written."""
from __future__ import annotations

import pytest

import rasplab.compiler
import rasplab.models
import rasplab.synth
import rasplab.synth.library
import rasplab.synth.library.loop
import rasplab.tasks.registry
from rasplab.cli.main import main

EX = "ex.jsonl"
#: the inputs the command lines below read; created in the working folder first
INPUTS = {
    EX: '{"input": ["a", "b"], "output": ["b", "a"]}\n',
    "empty.jsonl": "\n",
}

CASES = [
    (["data", "reverse", "--n", "1000000000000"], "--n must be a whole number from 1 to"),
    (["data", "reverse", "--n", "0"], "--n must be"),
    (["data", "reverse", "--n", "-5"], "--n must be"),
    (["data", "reverse", "--n", "5", "--max-len", "0"], "--max-len must be"),
    (["data", "reverse", "--n", "5", "-o", "missing/x.jsonl"], "folder missing does not exist"),
    (["library", "--corpus", "--max-arity", "-1"], "--max-arity must be a whole number at least 0"),
    (["library", "--corpus", "-o", "missing/l.json"], "-o missing/l.json: folder missing"),
    (["library", "-o", "missing/lib.json"], "-o missing/lib.json: folder missing"),
    (["library", "--iterations", "0"], "--iterations must be"),
    (["run", "bad.rasp", "ab"], "bad.rasp:2: not UTF-8 text"),
    (["run", "reverse", "--examples", "empty.jsonl"], "no examples"),
    (["train", "reverse", "--steps", "0"], "--steps must be a whole number at least 1"),
    (["train", "reverse", "--steps", "-3"], "--steps must be"),
    (["train", "reverse", "--heads", "3"], "--heads 3 must divide the residual width 64"),
    (["train", "reverse", "--d-model", "7", "--heads", "2"], "--heads 2 must divide"),
    (["train", "reverse", "--d-model", "7"], "--d-model 7 must be a multiple of the 2 heads"),
    (["train", "reverse", "--layers", "0"], "--layers must be"),
    (["train", "reverse", "--heads", "0"], "--heads must be"),
    (["train", "reverse", "--d-model", "0"], "--d-model must be"),
    (["train", "reverse", "--lr", "-1"], "--lr must be a number above 0"),
    (["train", "reverse", "-o", "missing/m.safetensors"], "folder missing does not exist"),
    (["train", "reverse", "-o", "."], "-o . is a folder"),
    (["synth", "--examples", EX, "-o", "missing/p.rasp"], "-o missing/p.rasp: folder missing"),
    (["synth", "--examples", EX, "--method", "near", "--plot", "missing/x.png"],
     "--plot missing/x.png: folder missing"),
    (["synth", "--examples", EX, "--timeout", "-1"], "--timeout must be a number above 0"),
    (["compile", "reverse", "--vocab", "a", "b", "--max-len", "4", "-o", "missing/m.st"],
     "-o missing/m.st: folder missing"),
    (["compile", "reverse", "--vocab", "a", "b", "--max-len", "4", "--plot", "missing/m.png"],
     "--plot missing/m.png: folder missing"),
]


def _no_work(*args, **kwargs):
    raise AssertionError("the command started its work before refusing its arguments")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder holding only the inputs; the commands' work entry points refuse to run
    (on unchecked arguments a command would otherwise train or sample for minutes)."""
    for name, text in INPUTS.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "bad.rasp").write_bytes(b"x = tokens;\n\xff\xfe = 1;\n")
    monkeypatch.chdir(tmp_path)
    for module, name in ((rasplab.models, "train"), (rasplab.synth, "synthesize"),
                         (rasplab.compiler, "compile_program"),
                         (rasplab.synth.library.loop, "learn"),
                         (rasplab.synth.library, "compress"),
                         (rasplab.tasks.registry.Task, "sample")):
        monkeypatch.setattr(module, name, _no_work)
    return tmp_path


@pytest.mark.parametrize("argv, message", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_malformed_command_lines_are_refused_before_any_work(folder, capfd, argv, message):
    before = sorted(p.name for p in folder.rglob("*"))
    assert main(argv) == 2
    out, err = capfd.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert lines[0].startswith(f"rasplab {argv[0]}: error: ")
    assert "Traceback" not in err and out == ""
    assert sorted(p.name for p in folder.rglob("*")) == before
