"""`rasplab train`: writes a model and its learning curve, reports figures in --json."""
from __future__ import annotations

import json
from pathlib import Path

from rasplab.cli.main import main
from rasplab.models import load_model


def test_train_writes_model_and_curve(tmp_path: Path, capsys) -> None:
    out = tmp_path / "hist.safetensors"
    code = main(["train", "hist", "--steps", "40", "--d-model", "32", "--quiet", "--json",
                 "--threads", "1", "--attn-supervision", "-o", str(out)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("accuracy", "sequence_accuracy", "seconds", "length_gen_accuracy"):
        assert key in doc
    assert 0.0 <= doc["accuracy"] <= 1.0 and doc["seconds"] > 0
    assert doc["attn_supervision"] and doc["supervised_heads"]
    assert out.is_file() and out.with_suffix(".png").stat().st_size > 1000
    model = load_model(out)
    assert model.task == "hist" and model.info["metrics"]["accuracy"] == doc["accuracy"]
    predicted = model.predict(["abca"])[0]
    assert all(v in model.output_vocab for v in predicted)
    assert main(["run", str(out), "abca", "--json"]) == 0  # `run` runs it like a program
    assert json.loads(capsys.readouterr().out.strip()) == predicted


def test_train_unknown_task_is_one_line_exit_2(capsys) -> None:
    assert main(["train", "no_such_task", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no_such_task" in err and "\n" not in err


def test_train_interrupted_keeps_the_model_and_exits_130(tmp_path: Path, capsys,
                                                         monkeypatch) -> None:
    """Ctrl-C during training: the best model so far is written, no learning curve is drawn
    (seconds the user is not waiting for), and the exit status is 130 like other commands."""
    import torch

    calls = {"n": 0}
    real_step = torch.optim.AdamW.step

    def step_then_interrupt(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", step_then_interrupt)
    out = tmp_path / "hist.safetensors"
    code = main(["train", "hist", "--steps", "40", "--d-model", "32", "--quiet",
                 "--threads", "1", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 130
    assert out.is_file() and not out.with_suffix(".png").exists()
    assert "interrupted" in captured.out and "no learning curve" in captured.err
