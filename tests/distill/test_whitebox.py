"""The white box of models trained elsewhere: soft heads that park attention on BOS still hint
their selector to the search, uninformative heads hint nothing, and a TransformerLens classifier
(tests/data/lm/gt_first, BOS at id 0) distils from the command line to its task's program, with
each selector paired with a head and fewer candidates searched than without the hints."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rasplab.cli.main import main
from rasplab.distill.guidance import relative_priors, sink_rows, sink_target
from rasplab.lang import EQ, Full, evaluate, indices, select

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "lm" / "gt_first"
XS = [[3, 1, 4, 1, 5], [2, 7, 1], [8, 2, 8, 1, 8, 2], [4, 4], [9, 0, 3, 5]]
FIRST = select(indices, Full(0), EQ)


def _soft_first(x: list, bos: float) -> np.ndarray:
    """A trained-looking head for select(indices, 0, ==): most of each row on key 0, a share on
    BOS (missing from the row, as in patterns with BOS removed), the rest spread thin."""
    n = len(x)
    rows = np.full((n, n), (1.0 - bos - 0.6) / n)
    rows[:, 0] += 0.6
    return rows


def _uniform(x: list) -> np.ndarray:
    return np.full((len(x), len(x)), 1.0 / len(x))


def test_a_soft_head_that_parks_weight_on_bos_hints_its_selector() -> None:
    patterns = {"blocks.0.attn.hook_pattern[0]": [_soft_first(x, 0.25) for x in XS],
                "blocks.0.attn.hook_pattern[1]": [_uniform(x) for x in XS],
                "blocks.0.attn.hook_pattern[2]": [np.zeros((len(x), len(x))) for x in XS]}
    priors, best = relative_priors(patterns, XS)
    first = [m.tolist() for m in evaluate(FIRST, XS)]
    hinted = [sel for sel in priors if [m.tolist() for m in evaluate(sel, XS)] == first]
    assert hinted and max(priors[s] for s in hinted) == max(priors.values())
    counted = {m.head for m in best if m.counted}
    assert counted == {"blocks.0.attn.hook_pattern[0]"}  # everywhere / only BOS say nothing


def test_heads_that_attend_everywhere_or_only_to_bos_hint_nothing() -> None:
    patterns = {"a": [_uniform(x) for x in XS], "b": [np.zeros((len(x), len(x))) for x in XS]}
    priors, best = relative_priors(patterns, XS)
    assert priors == {} and not any(m.counted for m in best)


def test_bos_weight_reads_as_selecting_nothing() -> None:
    row = np.array([[0.0, 0.0]])  # all of the query's attention went to BOS
    assert sink_rows(row).tolist() == [[1.0, 0.0, 0.0]]
    assert sink_target(np.array([[False, False]])).tolist() == [[1.0, 0.0, 0.0]]
    assert sink_target(np.array([[True, True]])).tolist() == [[0.0, 0.5, 0.5]]


def _distil_fixture(tmp_path: Path, capsys: pytest.CaptureFixture) -> dict:
    args = ["distill", str(FIXTURE / "gt_first.safetensors"),
            "--tokens", str(FIXTURE / "tokens.json"), "--bos", "<bos>", "--predict", "classes",
            "--classes", str(FIXTURE / "classes.json"),
            "--prompts", str(FIXTURE / "prompts.jsonl"), "--test", str(FIXTURE / "test.jsonl"),
            "--timeout", "30", "--json", "-o", str(tmp_path / "rep")]
    code = main(args)
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    return out


def test_a_tl_classifier_distils_from_the_command_line_with_its_heads(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from rasplab.lang import Select, parse, to_rasp_expr
    from rasplab.lang.ast import walk

    out = _distil_fixture(tmp_path, capsys)
    assert out["agreement"] >= 0.99 and out["sequence_agreement"] >= 0.99
    program = parse(out["program"]).last_node
    test = [json.loads(line) for line in (FIXTURE / "test.jsonl").read_text().splitlines()]
    truth = [[int(t > x[0]) for t in x] for x in test]  # gt_first: 1 where above the first
    assert evaluate(program, test) == truth
    # the heads hinted "the first position", and the program's select of it is paired with a
    # head that shows it
    assert any(h["prior"] for h in out["head_priors"])
    first = [m.tolist() for m in evaluate(FIRST, test)]
    sels = [n for n in walk(program) if isinstance(n, Select)
            and [m.tolist() for m in evaluate(n, test)] == first]
    paired = {h["selector"]: h for h in out["heads"]}
    shows_first = [paired[to_rasp_expr(n)] for n in sels if to_rasp_expr(n) in paired]
    assert shows_first and shows_first[0]["gain"] > 0.1
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "## Selectors and the heads that implement them" in report
    assert shows_first[0]["head"] in report


def test_attention_guidance_lowers_the_candidates_searched() -> None:
    from rasplab.distill.sequence_oracle import SequenceOracle, read_sequences, read_token_list
    from rasplab.distill.sequences import distill_sequences
    from rasplab.distill.user_models import load_user_model

    oracle = SequenceOracle(load_user_model(FIXTURE / "gt_first.safetensors"),
                            read_token_list(FIXTURE / "tokens.json", "tokens"),
                            predict="classes", bos="<bos>",
                            classes=read_token_list(FIXTURE / "classes.json", "classes"))
    prompts = read_sequences(FIXTURE / "prompts.jsonl")
    runs = {white: distill_sequences(oracle, prompts, budget=30, n=100, white_box=white)
            for white in (False, True)}
    assert runs[True].white_box and not runs[False].white_box
    assert all(r.solved_queries for r in runs.values())
    assert runs[True].candidates_to_solution < runs[False].candidates_to_solution
