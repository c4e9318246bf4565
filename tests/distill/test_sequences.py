"""Distilling sequence models from their prompts: a decoder after `<sep>`, a next-set language
model, and the tiny GPT-2 fixture end to end from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rasplab.cli.main import main
from rasplab.distill.sequence_oracle import SequenceOracle
from rasplab.distill.sequences import distill_sequences
from rasplab.distill.user_models import SequenceModel
from rasplab.lang.ast import is_causal

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "lm" / "reverse"


class FunctionModel(SequenceModel):
    """A 'transformer' whose logits come from a Python function of the id prefix (exact)."""

    def logits(self, ids: list[list[int]]) -> list[np.ndarray]:
        return [self.module(x) for x in ids]

    def attention(self, ids: list[list[int]]) -> dict:
        return {}


def _dyck1_logits(tokens: list) -> object:
    lp, rp, eos = tokens.index("("), tokens.index(")"), tokens.index("<eos>")

    def logits(ids: list[int]) -> np.ndarray:
        out = np.full((len(ids), len(tokens)), -5.0)
        depth = 0
        for q, t in enumerate(ids):
            depth += (t == lp) - (t == rp)
            out[q, lp] = 5.0
            out[q, rp] = 5.0 if depth > 0 else -5.0
            out[q, eos] = 5.0 if depth == 0 else -5.0
        return out
    return logits


def _word(rng: np.random.Generator) -> list:
    w, d = [], 0
    for _ in range(int(rng.integers(1, 8))):
        if d and rng.random() < 0.5:
            w, d = w + [")"], d - 1
        else:
            w, d = w + ["("], d + 1
    return ["<bos>", *w, *[")"] * d, "<eos>"]


def test_a_next_set_model_gives_one_boolean_program_per_token() -> None:
    tokens = ["(", ")", "<bos>", "<eos>", "<pad>"]
    model = FunctionModel(_dyck1_logits(tokens), "hf", len(tokens), len(tokens), 64, True, "dyck1")
    oracle = SequenceOracle(model, tokens, predict="next-set")
    rng = np.random.default_rng(0)
    prompts = [_word(rng) for _ in range(60)]
    result = distill_sequences(oracle, prompts, budget=30, n=60)
    assert is_causal(result.program) and result.solved_queries
    assert "allows_rparen" in result.source and "allowed_code" in result.source
    assert result.sequence_agreement == 1.0
    assert result.longer is not None and result.longer.sequences == 1.0


def test_the_gpt2_fixture_distils_from_the_command_line(tmp_path: Path, capsys) -> None:
    code = main(["distill", str(FIXTURE), "--tokens", str(FIXTURE / "tokens.json"),
                 "--prompts", str(FIXTURE / "prompts.jsonl"), "--test",
                 str(FIXTURE / "test.jsonl"), "--from", "<sep>", "--timeout", "30", "--json",
                 "-o", str(tmp_path / "report")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["sequence_agreement"] >= 0.99
    assert out["parts"]["rest"].startswith("gather -1*q+2*sep")  # reverse: 2*sep - q - 1
    assert out["program"].startswith("causal;")
    assert (tmp_path / "report" / "report.md").exists()
    assert main(["run", str(tmp_path / "report" / "program.rasp"), "--json",
                 json.dumps(["<bos>", 1, 2, 3, "<sep>"])]) == 0
    assert json.loads(capsys.readouterr().out)[-1] == 3


def _dyck2_logits(ids: list[int]) -> np.ndarray:
    """Allowed next tokens of Dyck-2 over ( ) [ ] <bos> <eos>: openers always, the closer that
    matches the innermost open bracket, <eos> when nothing is open."""
    out = np.full((len(ids), 6), -5.0)
    stack: list[int] = []
    for q, t in enumerate(ids):
        if t in (0, 2):
            stack.append(t)
        elif t in (1, 3) and stack:
            stack.pop()
        out[q, 0] = out[q, 2] = 5.0
        if stack:
            out[q, stack[-1] + 1] = 5.0
        else:
            out[q, 5] = 5.0
    return out


def test_dyck2_is_reached_through_the_innermost_open_bracket() -> None:
    tokens = ["(", ")", "[", "]", "<bos>", "<eos>"]
    model = FunctionModel(_dyck2_logits, "hf", 6, 6, 64, True, "dyck2")
    rng = np.random.default_rng(3)
    prompts = []
    for _ in range(80):
        word, stack = [], []
        for _ in range(int(rng.integers(2, 12))):
            if stack and rng.random() < 0.5:
                word.append({"(": ")", "[": "]"}[stack.pop()])
            else:
                stack.append("(["[int(rng.integers(0, 2))])
                word.append(stack[-1])
        prompts.append(["<bos>", *word, *[{"(": ")", "[": "]"}[o] for o in stack[::-1]],
                        "<eos>"])
    result = distill_sequences(SequenceOracle(model, tokens, predict="next-set"), prompts,
                               budget=30, n=60)
    assert "aggregate_max" in result.source and result.sequence_agreement == 1.0
    assert result.longer is not None and result.longer.sequences == 1.0
