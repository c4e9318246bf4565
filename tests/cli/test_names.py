"""One resolver for PROGRAM and MODEL arguments: the order of kinds, tasks kept for library
programs of the same name, and the errors for missing files and unknown names."""
from __future__ import annotations

import pytest

from rasplab.cli.names import model_or_task, rasp_file_spec, resolve
from rasplab.errors import ModelFileError, RaspNameError
from rasplab.lang import evaluate
from rasplab.lang.library import get_program


def test_library_name_wins_but_keeps_its_task():
    target = resolve("reverse")
    assert target.kind == "library" and target.program == get_program("reverse")
    assert target.task is not None and target.task.name == "reverse"


def test_task_only_name_gives_the_task_program():
    target = resolve("copy")
    assert target.kind == "task" and target.task.name == "copy"
    assert evaluate(target.program, [list("abc")]) == [list("abc")]


def test_rasp_files_by_path_and_by_name(tmp_path):
    path = tmp_path / "p.rasp"
    path.write_text("a = tokens;\nb = indices;\n")
    assert rasp_file_spec(f"{tmp_path}/p.rasp:a") == (path, "a")
    assert rasp_file_spec("q.rasp") is not None and rasp_file_spec("reverse") is None
    last, named = resolve(str(path)), resolve(f"{tmp_path}/p.rasp:a")
    assert last.kind == named.kind == "rasp" and last.task is None
    assert evaluate(last.program, [list("xy")]) == [[0, 1]]
    assert evaluate(named.program, [list("xy")]) == [list("xy")]
    with pytest.raises(RaspNameError, match="no such .rasp file"):
        resolve(str(tmp_path / "missing.rasp"))


def test_models_and_unknown_names(tmp_path):
    assert resolve("m.safetensors").kind == "model"
    other = tmp_path / "model.bin"
    other.write_bytes(b"")
    assert resolve(str(other)).kind == "model"
    with pytest.raises(RaspNameError, match="not a model file, .rasp file"):
        resolve("no_such_program_xyz")
    with pytest.raises(RaspNameError) as plain:  # a command that takes programs only
        resolve("no_such_program_xyz", models=False)
    assert "model file" not in str(plain.value)


def test_model_or_task(tmp_path):
    assert model_or_task("reverse") == (None, "reverse")
    model = tmp_path / "m.safetensors"
    model.write_bytes(b"")
    assert model_or_task(str(model)) == (model, None)
    with pytest.raises(ModelFileError, match="model not found"):
        model_or_task(str(tmp_path / "gone.pt"))
