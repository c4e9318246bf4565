"""The differentiable RASP: with hard attention it agrees with the exact evaluator."""
import numpy as np
import pytest
import torch

from rasplab.lang import (
    EQ,
    GE,
    GT,
    LE,
    LT,
    NE,
    TRUE,
    Aggregate,
    Full,
    Map,
    Select,
    SelectorWidth,
    SequenceMap,
    evaluate,
    indices,
    length,
    numerical,
    tokens,
)
from rasplab.lang.functions import SLOT0, Fn, binary
from rasplab.synth.near.relaxed import Encoder, RelaxedInputs, relaxed_eval


def _reverse():
    flip = SequenceMap(binary("sub"), length, Map(Fn.of("add", SLOT0, 1), indices))
    return Aggregate(Select(indices, flip, EQ), tokens, 0, None)


def _sort_unique():
    smaller = SelectorWidth(Select(tokens, tokens, LT))
    return Aggregate(Select(smaller, indices, EQ), tokens, 0, None)


PROGRAMS = {
    "reverse": _reverse(),
    "hist": SelectorWidth(Select(tokens, tokens, EQ)),
    "sort_unique": _sort_unique(),
    "length": SelectorWidth(Select(indices, indices, TRUE)),
    "prefix_mean": numerical(Aggregate(Select(indices, indices, LE), numerical(tokens), 0)),
    "shift": Aggregate(Select(indices, Map(Fn.of("sub", SLOT0, 1), indices), EQ), tokens, 0,
                       None),
    "and_or": SelectorWidth((Select(tokens, tokens, GT) & Select(indices, indices, NE))
                            | Select(tokens, indices, GE)),
    "not": SelectorWidth(~Select(tokens, indices, LT)),
    "arith": SequenceMap(binary("mul"), Map(Fn.of("gt", SLOT0, 2), tokens),
                         SequenceMap(binary("add"), tokens, length)),
    "const": SequenceMap(binary("add"), Full(3), Map(Fn.of("eq", SLOT0, 1), tokens)),
    "table": Map(Fn.table({0: 5, 1: 6, 2: 7, 3: 8, 4: 9}), tokens),
}


def _inputs(seed: int, n: int = 40, distinct: bool = False) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        size = int(rng.integers(1, 8))
        out.append(rng.permutation(5)[: min(size, 5)].tolist() if distinct
                   else rng.integers(0, 5, size).tolist())
    return out


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@pytest.mark.parametrize("seed", [0, 1])
def test_hard_relaxation_agrees_with_evaluator(name: str, seed: int) -> None:
    program = PROGRAMS[name]
    xs = _inputs(seed, distinct=name == "sort_unique")
    want = evaluate(program, xs)
    enc = Encoder([t for x in xs for t in x])
    batch = RelaxedInputs.build(xs, enc)
    got = relaxed_eval(program, batch, hard=True, noise=False)
    for b, (x, y) in enumerate(zip(xs, want)):
        expected = torch.tensor([enc(v) for v in y], dtype=torch.float32)
        assert torch.allclose(got[b, : len(x)], expected, atol=1e-4), (name, x, y)


def test_string_tokens_keep_their_order() -> None:
    """Categorical tokens are encoded by rank in their natural order, so `<` keeps its meaning."""
    xs = [list("hello"), list("abc"), list("olleh")]
    program = SelectorWidth(Select(tokens, tokens, LT))
    enc = Encoder([t for x in xs for t in x])
    got = relaxed_eval(program, RelaxedInputs.build(xs, enc), hard=True)
    for b, y in enumerate(evaluate(program, xs)):
        assert got[b, : len(y)].tolist() == [float(v) for v in y]
    assert enc("a") < enc("b") < enc("o")


def test_soft_relaxation_is_differentiable_and_close() -> None:
    """The sigmoid relaxation carries gradients and, at temperature 10, stays near hard values."""
    xs = _inputs(3)
    enc = Encoder([t for x in xs for t in x])
    batch = RelaxedInputs.build(xs, enc)
    batch.tokens.requires_grad_(True)
    soft = relaxed_eval(PROGRAMS["hist"], batch, hard=False, noise=False)
    hard = relaxed_eval(PROGRAMS["hist"], batch, hard=True)
    soft.sum().backward()
    assert batch.tokens.grad is not None and batch.tokens.grad.abs().sum() > 0
    assert (soft - hard).abs().max() < 0.1


def test_unrelaxable_operation_is_a_clear_error() -> None:
    from rasplab.errors import RaspRuntimeError

    xs = [[1, 2]]
    enc = Encoder([1, 2])
    program = Map(Fn.python(lambda v: v * 2), tokens)
    with pytest.raises(RaspRuntimeError, match="no differentiable relaxation"):
        relaxed_eval(program, RelaxedInputs.build(xs, enc))
