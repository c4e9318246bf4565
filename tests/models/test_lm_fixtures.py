"""Models saved as outside researchers would (tests/data/lm) load with transformers and
TransformerLens and still solve their tasks on fresh inputs from benchmarks/causal/lm_tasks.

benchmarks/ is not a package, so its directory goes on sys.path; the training scripts are
checked too: a tiny run saves files that load back and agree with the task definitions.
"""
from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "causal"))
import lm_tasks  # noqa: E402
import train_gpt2  # noqa: E402
import train_tl  # noqa: E402

DATA = ROOT / "tests" / "data" / "lm"


def _rows(path: Path) -> list[list]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _gpt2_sequence_accuracy(model, task, seqs: list[list], tokens: list) -> float:
    """Whole-sequence accuracy of the argmax at the compared positions, computed afresh here."""
    index = {t: i for i, t in enumerate(tokens)}
    right = 0
    with torch.no_grad():
        for seq in seqs:
            logits = model(input_ids=torch.tensor([[index[t] for t in seq]])).logits[0]
            right += all(tokens[int(logits[p].argmax())] == truth
                         for p, truth in task.compared(seq))
    return right / len(seqs)


def test_gpt2_fixture_reverses_fresh_inputs() -> None:
    from transformers import GPT2LMHeadModel

    folder = DATA / "reverse"
    model = GPT2LMHeadModel.from_pretrained(folder).eval()
    tokens = json.loads((folder / "tokens.json").read_text())
    task = lm_tasks.LM_TASKS["reverse"]
    assert tokens == lm_tasks.lm_tokens(task, 6)
    for seq in _rows(folder / "prompts.jsonl"):  # the files hold whole sequences of the task
        assert seq == task.sequence(seq[1:seq.index(lm_tasks.SEP)])
    seqs = lm_tasks.sample_sequences(task, 200, np.random.default_rng(2024), 2, 5, 6)
    assert _gpt2_sequence_accuracy(model, task, seqs, tokens) >= 0.99


def test_tl_fixture_labels_fresh_inputs() -> None:
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    folder = DATA / "gt_first"
    cfg = train_tl.load_config(folder / "gt_first.json")
    data = json.loads((folder / "gt_first.json").read_text())
    data["dtype"] = torch.float32
    assert HookedTransformerConfig.unwrap(data).to_dict() == cfg.to_dict()
    assert cfg.attention_dir == "bidirectional"
    model = HookedTransformer(cfg)
    model.load_state_dict(load_file(folder / "gt_first.safetensors"))
    tokens = json.loads((folder / "tokens.json").read_text())
    classes = json.loads((folder / "classes.json").read_text())
    task = lm_tasks.CLASSIFIERS["gt_first"]
    assert tokens[0] == lm_tasks.BOS and tokens == lm_tasks.class_tokens(task, 6)
    xs = lm_tasks.sample_inputs(task, 200, np.random.default_rng(2024), 2, 6, 6)
    right = 0
    with torch.no_grad():
        for x in xs:
            logits = model(torch.tensor([[0] + [tokens.index(t) for t in x]]))[0, 1:]
            right += [classes[int(i)] for i in logits.argmax(-1)] == task.labels(x)
    assert right / len(xs) >= 0.99


def _brute_allowed(task: lm_tasks.LanguageTask, prefix: list, depth: int) -> frozenset:
    """Tokens t with prefix+t extendable to a member within ``depth`` more symbols (5 is enough
    for words up to length 8: the deepest Dyck prefix then needs 5 closing brackets)."""
    out = set()
    for t in task.alphabet:
        for k in range(depth + 1):
            if any(task.is_member([*prefix, t, *rest])
                   for rest in itertools.product(task.alphabet, repeat=k)):
                out.add(t)
                break
    return frozenset(out | ({lm_tasks.EOS} if task.is_member(prefix) else set()))


@pytest.mark.parametrize("name", list(lm_tasks.LANGUAGES))
def test_allowed_sets_match_brute_force(name: str) -> None:
    task = lm_tasks.LANGUAGES[name]
    words = lm_tasks.sample_inputs(task, 8, np.random.default_rng(7), 2, 8)
    for word in words:
        assert task.is_member(word)
        for p in range(len(word) + 1):
            assert task.allowed(word[:p]) == _brute_allowed(task, word[:p], 5)


@pytest.mark.parametrize("name", list(lm_tasks.SEQ2SEQ))
def test_seq2seq_samples_follow_their_definition(name: str) -> None:
    task = lm_tasks.SEQ2SEQ[name]
    for x in lm_tasks.sample_inputs(task, 50, np.random.default_rng(3), 2, 9):
        out = task.output(x)
        if name in ("sort", "copy", "reverse"):
            assert len(set(x)) == len(x)
        if name in ("majority", "binary_majority"):
            counts = sorted((x.count(t) for t in set(x)), reverse=True)
            assert x.count(out[0]) == counts[0] and counts[:2].count(counts[0]) == 1
        if name == "count":
            assert out == list(range(x[0], x[1] + 1)) and 2 <= len(out) <= 9


def test_gpt2_script_saves_a_loadable_folder(tmp_path: Path) -> None:
    from transformers import GPT2LMHeadModel

    trained = train_gpt2.train("dyck1", steps=20, d_model=16, layers=1, heads=2, max_len=6,
                               n_test=20, n_prompts=10, log=lambda m: None)
    record = train_gpt2.save(trained, tmp_path / "dyck1")
    names = {p.name for p in (tmp_path / "dyck1").iterdir()}
    assert {"config.json", "model.safetensors", "tokens.json", "prompts.jsonl", "test.jsonl",
            "test_long.jsonl", "train.json"} <= names
    assert not any("tokenizer" in n for n in names)
    model = GPT2LMHeadModel.from_pretrained(tmp_path / "dyck1").eval()
    tokens = json.loads((tmp_path / "dyck1" / "tokens.json").read_text())
    assert tokens == ["(", ")", "<bos>", "<sep>", "<eos>", "<pad>"]
    assert model.config.vocab_size == len(tokens) and model.config.bos_token_id == 2
    assert record["steps"] == 20 and 0.0 <= record["accuracy"]["test"]["sequence"] <= 1.0
    assert all(len(r) - 2 >= 7 for r in _rows(tmp_path / "dyck1" / "test_long.jsonl"))


def test_tl_script_round_trips_its_config(tmp_path: Path) -> None:
    trained = train_tl.train("count_last", steps=10, d_model=16, layers=1, heads=2,
                             n_test=20, n_prompts=10, log=lambda m: None)
    train_tl.save(trained, tmp_path / "count_last")
    model = train_tl.load(tmp_path / "count_last")
    ids = torch.tensor([[0, 3, 1, 3]])
    with torch.no_grad():
        assert torch.allclose(model(ids), trained.model(ids), atol=1e-6)
    assert json.loads((tmp_path / "count_last" / "classes.json").read_text()) == list(range(1, 11))
