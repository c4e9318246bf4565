"""Compiled transformers against the original RASP interpreter's recorded outputs.

Each of the 36 programs in `tests/data/original_rasp/outputs.json` (the original's library
functions and the paper's examples, recorded by `benchmarks/record_original.py`) is compiled for
its own alphabet (the integers 0..4 for the integer program) at maximum length 8, the longest
recorded input, and the model's decoded outputs must equal the original's on all 30 inputs.
Every program compiles, numerical outputs (means such as `average`, `frac_prevs`,
`pair_balance`) included; those pass through float32, so numbers are compared within 1e-6.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rasplab.compiler import compile_program
from rasplab.lang import parse
from rasplab.lang.values import outputs_equal

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "original_rasp" / "outputs.json"
PROGRAMS = json.loads(FIXTURE.read_text())["programs"]
MAX_LEN = 8


def _vocab(program: dict) -> list:
    return list(range(5)) if program["alphabet"] == "int" else list(program["alphabet"])


@pytest.mark.parametrize("program", PROGRAMS, ids=[p["name"] for p in PROGRAMS])
def test_compiled_program_gives_the_originals_outputs(program):
    torch.set_num_threads(1)
    inputs = [list(x) if isinstance(x, str) else x for x in program["inputs"]]
    assert max(map(len, inputs)) <= MAX_LEN
    model = compile_program(parse(program["source"])["prog"], _vocab(program), MAX_LEN)
    got = model.predict(inputs)
    wrong = [(x, g, w) for x, g, w in zip(inputs, got, program["outputs"])
             if not outputs_equal(g, w, tol=1e-6)]
    assert wrong == [], f"{len(wrong)} of 30 differ, e.g. {wrong[:2]}"


def test_all_36_programs_are_compiled():
    """No program is left out of the compiled check (30 inputs each: 1,080 in all)."""
    assert len(PROGRAMS) == 36 and sum(len(p["inputs"]) for p in PROGRAMS) == 1080
