"""`rasplab distill` over a folder of model files: one report per model, a broken file reported
as a failed target without stopping the others, journal resume, and the single-model path kept."""
from __future__ import annotations

import json

import pytest

from rasplab.cli.main import main
from rasplab.compiler import compile_program, save_compiled
from rasplab.distill.batch import distill_many, expand_targets
from rasplab.errors import ModelFileError, RaspNameError
from rasplab.parallel import InlineExecutor
from rasplab.tasks import get_task

FAST = {"n": 40, "budget": 8.0, "held_out": 60, "rounds": 1}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    for name in ("hist", "reverse"):
        save_compiled(compile_program(get_task(name).program, ["a", "b", "c"], 5),
                      folder / f"{name}.safetensors")
    return folder


def test_folder_on_the_local_pool_with_a_broken_file(models, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for f in models.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "broken.safetensors").write_bytes(b"not a model")
    out = tmp_path / "reports"
    code = main(["distill", str(folder), "--workers", "2", "--n", "40", "--timeout", "8",
                 "--held-out", "60", "-o", str(out), "--json"])
    docs = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert code == 1  # the broken file fails; the others are unaffected
    assert set(docs) == {"broken", "hist", "reverse"}
    assert not docs["broken"]["ok"] and docs["broken"]["error"].startswith("raised")
    assert docs["broken"]["attempts"] == 1
    for name in ("hist", "reverse"):
        assert docs[name]["ok"] and docs[name]["agreement"] == 1.0
        assert (out / f"distill-{name}" / "report.md").exists()


def test_journal_skips_finished_models(models, tmp_path):
    journal = tmp_path / "j.jsonl"
    first = list(distill_many([str(models / "hist.safetensors")], executor=InlineExecutor(),
                              out_root=tmp_path, journal=journal, **FAST))
    both = list(distill_many([str(models)], executor=InlineExecutor(), out_root=tmp_path,
                             journal=journal, **FAST))
    assert [i.resumed for i in both] == [True, False]
    assert both[0].summary == first[0].summary and both[1].ok
    assert len(journal.read_text().splitlines()) == 2


def test_bad_targets_fail_before_any_work(tmp_path):
    with pytest.raises(RaspNameError):
        expand_targets(["no_such_task"])
    with pytest.raises(ModelFileError, match="no .safetensors"):
        expand_targets([str(tmp_path)])
    with pytest.raises(ModelFileError, match="not found"):
        expand_targets([str(tmp_path / "missing.safetensors")])
    assert expand_targets(["hist", "hist", "reverse"]) == ["hist", "reverse"]


def test_single_model_output_unchanged(models, tmp_path, capsys):
    code = main(["distill", str(models / "hist.safetensors"), "--n", "40", "--timeout", "8",
                 "--held-out", "60", "-o", str(tmp_path / "one"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and isinstance(doc, dict) and doc["agreement"] == 1.0
