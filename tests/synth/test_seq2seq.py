"""Separator programs: what a decoder emits after `<sep>`, found from examples whose earlier
positions are not compared, and exact on inputs longer than the examples."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rasplab.lang import evaluate, parse
from rasplab.lang.ast import is_causal
from rasplab.lang.values import ANY
from rasplab.synth.seq2seq import synthesize_seq2seq

V = 12
VOCAB = list(range(V)) + ["<bos>", "<sep>", "<eos>", "<pad>"]
TASKS = {
    "sort": sorted,
    "copy": list,
    "reverse": lambda x: x[::-1],
    "majority": lambda x: [Counter(x).most_common(1)[0][0]],
    "count": lambda x: list(range(x[0], x[1] + 1)),
}


def sample(task: str, rng: np.random.Generator, lo: int, hi: int) -> list:
    n = int(rng.integers(lo, hi + 1))
    if task == "count":
        a = int(rng.integers(0, V - 4))
        x = [a, a + int(rng.integers(0, 4))]
    elif task == "majority":
        x = [int(t) for t in rng.integers(0, V, size=n)]
        x += [x[-1]] * 2 if Counter(x).most_common(2)[-1][1] == Counter(x).most_common(1)[0][1] \
            else []
        rng.shuffle(x)
        x = [int(t) for t in x]
    else:
        x = [int(t) for t in rng.choice(V, size=min(n, V), replace=False)]
    return ["<bos>", *x, "<sep>", *TASKS[task](x), "<eos>"]


def next_tokens(seq: list) -> list:
    """The next token at each compared position (from <sep>), ANY elsewhere."""
    s = seq.index("<sep>")
    return [seq[q + 1] if s <= q < len(seq) - 1 else ANY for q in range(len(seq))]


@pytest.mark.parametrize("task", sorted(TASKS))
def test_separator_programs_are_found_and_generalise_to_longer_inputs(task: str) -> None:
    rng = np.random.default_rng(1)
    xs = [sample(task, rng, 2, 6) for _ in range(80)]
    found = synthesize_seq2seq(xs, [next_tokens(x) for x in xs], vocab=VOCAB, sep_token="<sep>",
                               end_token="<eos>", specials=["<bos>", "<pad>"])
    assert found.solved and is_causal(found.program)
    longer = [sample(task, rng, 7, 11) for _ in range(60)]
    got = evaluate(found.program, longer)
    for x, g in zip(longer, got):
        want = next_tokens(x)
        assert all(w is ANY or a == w for a, w in zip(g, want)), (task, x, g)
    # the printed program parses back to one that computes the same
    back = parse(found.source).last_node
    assert evaluate(back, longer) == got


def test_a_program_that_cannot_fit_reports_its_accuracy() -> None:
    rng = np.random.default_rng(2)
    xs = [sample("sort", rng, 2, 6) for _ in range(40)]
    ys = [[rng.choice(VOCAB[:V]).item() if v is not ANY else ANY for v in next_tokens(x)]
          for x in xs]
    found = synthesize_seq2seq(xs, ys, vocab=VOCAB, sep_token="<sep>", end_token="<eos>",
                               specials=["<bos>", "<pad>"])
    assert not found.solved and found.accuracy < 0.5
