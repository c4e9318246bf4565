"""Tests of the trained-model stage: training lowers loss, checkpoints round-trip, supervision."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from rasplab.errors import ExamplesError, ModelFileError
from rasplab.models import (
    TrainConfig,
    load_model,
    plan_heads,
    program_shape,
    save_model,
    strip_bos,
    train,
)
from rasplab.models.supervision import attention_mse, selection_masks, targets
from rasplab.models.train import build_model

from .toy import ToyTask, reverse_program

TINY = dict(d_model=32, n_train=2000, n_test=200, eval_every=20, threads=1, warmup=10)


@pytest.fixture(scope="module")
def trained() -> object:
    return train(ToyTask(), TrainConfig(steps=120, seed=1, **TINY), progress=False)


def _loss(model, task, inputs) -> float:
    ids = model.encode(inputs)
    labels = task.outputs(inputs)
    classes = {v: i for i, v in enumerate(model.output_vocab)}
    with torch.no_grad():
        logits = model.net(ids)
    total = 0.0
    for b, row in enumerate(labels):
        target = torch.tensor([classes[v] for v in row])
        total += float(torch.nn.functional.cross_entropy(logits[b, 1:len(row) + 1], target))
    return total / len(inputs)


def test_training_lowers_the_loss(trained) -> None:
    task = ToyTask()
    inputs = task.sample(200, np.random.default_rng(123))
    fresh, _, _ = build_model(task, TrainConfig(steps=1, seed=1, **TINY))
    fresh.output_vocab = trained.model.output_vocab
    fresh.net.unembed = torch.nn.Linear(32, len(fresh.output_vocab))
    before = _loss(fresh, task, inputs)
    after = _loss(trained.model, task, inputs)
    assert before > 0.9 * math.log(4)
    assert after < 0.5 * before
    assert trained.curve[-1]["loss"] < trained.curve[0]["loss"]
    assert trained.accuracy > 0.5  # chance is 0.25


def test_saved_model_reloads_with_identical_outputs(trained, tmp_path: Path) -> None:
    path = save_model(trained.model, tmp_path / "toy.safetensors")
    again = load_model(path)
    inputs = [list("abcd"), list("dd"), list("b"), list("cabca")]
    for a, b in zip(trained.model.logits(inputs), again.logits(inputs)):
        assert np.array_equal(a, b)
    assert again.predict(inputs) == trained.model.predict(inputs)
    assert again.vocab == ("a", "b", "c", "d") and again.task == "toy_reverse"
    assert again.max_len == 5 and again.info["metrics"]["accuracy"] == trained.accuracy
    pats = again.attention(inputs)
    assert sorted(pats) == ["blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern"]
    first = pats["blocks.0.attn.hook_pattern"][0]
    assert first.shape == (again.net.cfg.n_heads, 5, 5)
    assert np.allclose(first.sum(-1), 1.0, atol=1e-5)
    assert strip_bos(first).shape == (again.net.cfg.n_heads, 4, 4)


def test_model_errors_name_the_problem(trained, tmp_path: Path) -> None:
    with pytest.raises(ExamplesError, match="unknown token 'z'"):
        trained.model.predict([list("abz")])
    with pytest.raises(ExamplesError, match="longer"):
        trained.model.predict([list("a" * 40)])
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "nope.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}garbage")
    with pytest.raises(ModelFileError, match="not a readable"):
        load_model(bad)
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(other), metadata={"rasplab_kind": "compiled"})
    with pytest.raises(ModelFileError, match="not a trained"):
        load_model(other)


def test_heads_follow_the_program_depth() -> None:
    program = reverse_program()
    assert program_shape(program) == (2, 1)  # length needs a layer of its own
    heads, dropped = plan_heads(program, 2, 2)
    assert [(h.layer, h.head, h.width) for h in heads] == [(0, 0, True), (1, 0, False)]
    assert dropped == []
    heads, dropped = plan_heads(program, 1, 2)
    assert len(heads) == 1 and len(dropped) == 1


def test_targets_are_row_normalised_with_bos_for_empty_rows() -> None:
    program = reverse_program()
    heads, _ = plan_heads(program, 2, 1)
    masks = torch.from_numpy(selection_masks(heads, [list("abc")], 6))
    t = targets(masks, torch.tensor([True, False]))
    assert torch.allclose(t[0, 0, 1, :4], torch.full((4,), 0.25))  # length: BOS + 3 keys
    assert t[0, 1, 1, 3] == 1.0 and t[0, 1, 3, 1] == 1.0  # reverse: query 0 reads key 2
    assert t[0, 1, 5, 0] == 1.0  # a padding row selects nothing: all on BOS
    assert torch.allclose(t.sum(-1), torch.ones(1, 2, 6))


def test_attention_supervision_moves_the_head_toward_its_target() -> None:
    task = ToyTask()
    cfg = dict(steps=60, seed=3, **TINY)
    plain = train(task, TrainConfig(**cfg), progress=False)
    supervised = train(task, TrainConfig(attn_supervision=True, **cfg), progress=False)
    heads, _ = plan_heads(task.program, 2, 2)
    inputs = task.sample(300, np.random.default_rng(9))
    masks = torch.from_numpy(selection_masks(heads, inputs, 6))

    def mse(model) -> float:
        ids = torch.nn.functional.pad(model.encode(inputs), (0, 0), value=1)
        ids = torch.nn.functional.pad(ids, (0, 6 - ids.shape[1]), value=1)
        query_ok = ids >= 2
        return attention_mse(model.net, heads, ids, masks, query_ok)

    init, _, _ = build_model(task, TrainConfig(**cfg))
    init.output_vocab = plain.model.output_vocab
    assert supervised.supervised_heads and supervised.attention_mse is not None
    assert mse(supervised.model) < 0.5 * mse(plain.model)
    assert mse(supervised.model) < 0.5 * mse(init)


def test_numeric_outputs_become_classes_of_the_values_seen() -> None:
    task = ToyTask(name="toy_width", output_vocab=None, numeric_output=True)
    task_outputs = lambda inputs: [[len(x) / 2 for _ in x] for x in inputs]  # noqa: E731
    object.__setattr__(task, "outputs", task_outputs)
    result = train(task, TrainConfig(steps=40, **TINY), progress=False)
    assert result.model.output_vocab == tuple(k / 2 for k in range(1, 6))
    assert all(isinstance(v, float) for row in result.model.predict([list("ab")]) for v in row)


def test_same_seed_gives_the_same_model() -> None:
    cfg = TrainConfig(steps=15, seed=5, **TINY)
    a = train(ToyTask(), cfg, progress=False).model
    b = train(ToyTask(), cfg, progress=False).model
    inputs = [list("abcd"), list("dca")]
    for x, y in zip(a.logits(inputs), b.logits(inputs)):
        assert np.array_equal(x, y)


def test_ctrl_c_keeps_the_model_and_skips_the_slow_figures(monkeypatch) -> None:
    """An interrupted training returns at once: best model kept, test accuracy measured, the
    longer-input and attention figures (seconds the user is not waiting for) skipped."""
    calls = {"n": 0}
    real_step = torch.optim.AdamW.step

    def step_then_interrupt(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", step_then_interrupt)
    result = train(ToyTask(), TrainConfig(steps=200, **TINY), progress=False)
    assert result.interrupted and result.steps == 30
    assert 0.0 <= result.accuracy <= 1.0
    assert result.length_gen_accuracy is None and result.attention_mse is None
