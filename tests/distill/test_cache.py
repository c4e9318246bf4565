"""The model cache keeps only finished trainings: Ctrl-C during one caches nothing, and a cached
file from an interrupted training is trained again instead of being reused."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

import rasplab.models
from rasplab.distill.cache import TrainingInterrupted, cache_dir, model_for
from rasplab.models import TrainConfig, save_model, train

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from toy import ToyTask  # noqa: E402


@pytest.fixture(scope="module")
def tiny_result():
    """A real (2-step) training of a tiny model: what the fake trainings below return."""
    return train(ToyTask(), TrainConfig(steps=2, n_train=200, n_test=50, eval_every=1,
                                        length_gen_extra=0), progress=False)


def _fake_train(result, interrupted: bool, calls: list):
    def fake(task, config, progress=True):
        calls.append(task)
        out = dataclasses.replace(result, interrupted=interrupted, steps=1)
        out.model.info = {"metrics": out.summary()}
        return out
    return fake


def test_an_interrupted_training_is_not_cached(tiny_result, tmp_path, monkeypatch):
    monkeypatch.setenv("RASPLAB_CACHE", str(tmp_path))
    calls: list = []
    monkeypatch.setattr(rasplab.models, "train", _fake_train(tiny_result, True, calls))
    with pytest.raises(TrainingInterrupted, match="interrupted at step 1; nothing cached"):
        model_for("reverse", quiet=True)
    assert calls and not list(cache_dir().glob("*.safetensors"))
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C handlers see it as what it is
        model_for("reverse", quiet=True)


def test_a_cached_interrupted_model_is_trained_again(tiny_result, tmp_path, monkeypatch):
    monkeypatch.setenv("RASPLAB_CACHE", str(tmp_path))
    path = cache_dir() / "reverse-seed0.safetensors"
    path.parent.mkdir(parents=True)
    tiny_result.model.info = {"metrics": {**tiny_result.summary(), "interrupted": True}}
    save_model(tiny_result.model, path)  # as older versions cached an interrupted run
    calls: list = []
    monkeypatch.setattr(rasplab.models, "train", _fake_train(tiny_result, False, calls))
    assert model_for("reverse", quiet=True) == path and len(calls) == 1
    assert model_for("reverse", quiet=True) == path and len(calls) == 1  # finished: reused
