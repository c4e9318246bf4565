"""Solved tasks related to a new one, by the recognition model's reading of their examples.

A task the plain grammar does not solve quickly is often a step away from one already solved
(`nesting` from `depth`, `level_count` from `nesting`, dyck2 from the selector `level_count`
counts with). The model encodes each task's examples; the solved tasks that share the new
task's input tokens and whose codes lie closest to its code lend their programs to its search
as single steps (`search(leaves=...)`), and the selectors those programs aggregate or count
with as single selectors (`search(selector_priors=...)`). Programs that do not run on the new
task's inputs are passed over.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from rasplab.errors import RaspLabError
from rasplab.lang import ast
from rasplab.lang.sexpr import from_sexpr

#: how many solved programs a task borrows
RELATED = 3
#: the search cost of a borrowed program or selector (a production costs 1-6; leaves 1)
BORROW_COST = 2


@dataclass(frozen=True)
class Solved:
    """A solved task as a lender: its examples' code (`model.embed`; None without a model),
    its program (an s-expression) and the tokens its inputs use."""

    code: np.ndarray | None
    sexpr: str
    vocab: frozenset


def input_vocab(inputs: Sequence[Sequence[Any]]) -> frozenset:
    """The tokens a task's inputs use."""
    return frozenset(t for x in inputs for t in x)


def runs_on(sexpr: str, inputs: Sequence[Sequence[Any]]) -> bool:
    """Whether a program evaluates on these inputs to a value at every position."""
    from rasplab.lang.evaluator import evaluate

    try:
        rows = evaluate(from_sexpr(sexpr), [list(x) for x in inputs], strict=False)
    except (RaspLabError, ArithmeticError, KeyError, TypeError, ValueError, IndexError):
        return False
    return all(v is not None for row in rows for v in row)


def relatedness(code: np.ndarray | None, vocab: frozenset, other: Solved) -> float:
    """How related a solved task is: the cosine of the two codes (none without a model) plus
    the share of input tokens the tasks have in common (Jaccard), so that among tasks on the
    same tokens the model's reading decides, and a task on other tokens must read much closer
    to be borrowed from."""
    shared = len(vocab & other.vocab) / max(1, len(vocab | other.vocab))
    reading = float(code @ other.code) if code is not None and other.code is not None else 0.0
    return reading + shared


def related_solutions(model: Any | None, inputs: Sequence[Sequence[Any]],
                      outputs: Sequence[Sequence[Any]], solved: dict[str, Solved],
                      k: int = RELATED, probe: int = 16) -> list[str]:
    """The names of up to `k` solved tasks most related to these examples (`relatedness`;
    without a model, shared input tokens alone), among those whose program runs on the
    inputs; ties go to the shorter program (the simpler building block)."""
    if not solved or k <= 0:
        return []
    vocab = input_vocab(inputs)
    code = model.embed(inputs, outputs) if model is not None else None
    score = {name: relatedness(code, vocab, s) for name, s in solved.items()}
    out: list[str] = []
    for name in sorted(solved, key=lambda n: (-score[n], len(solved[n].sexpr), n)):
        if runs_on(solved[name].sexpr, inputs[:probe]):
            out.append(name)
            if len(out) == k:
                break
    return out


def borrowed_steps(sexprs: Sequence[str], select_cost: int
                   ) -> tuple[list[tuple[ast.Node, int]], dict[ast.Node, float]]:
    """The search steps borrowed programs lend: each program as a leaf, and each selector it
    aggregates or counts with as a selector prior (a discount on `select_cost` + 2, what the
    search charges a hinted selector), all at `BORROW_COST`."""
    leaves, selectors = [], {}
    for sexpr in sexprs:
        program = from_sexpr(sexpr)
        leaves.append((program, BORROW_COST))
        for node in ast.walk(program):
            if isinstance(node, ast.Aggregate | ast.SelectorWidth):
                selectors[node.selector] = float(select_cost + 2 - BORROW_COST)
    return leaves, selectors
