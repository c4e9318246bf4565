"""Solved tasks related to a new one, by the recognition model's reading of their examples.

A task the plain grammar does not solve quickly is often a step away from one already solved
(`nesting` from `depth`, `level_count` from `nesting` and `running_count`). The model encodes
each task's examples; the solved tasks whose codes lie closest to the new task's lend their
programs to its search as single steps (`search(leaves=...)`), so that step costs what one
production costs instead of the whole program's depth. Programs that do not run on the new
task's inputs (another vocabulary) are passed over.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rasplab.errors import RaspLabError
from rasplab.lang.sexpr import from_sexpr

#: how many solved programs a task borrows
RELATED = 3
#: the search cost of a borrowed program (a production costs 1-6; leaves are 1)
BORROW_COST = 2


def runs_on(sexpr: str, inputs: Sequence[Sequence[Any]]) -> bool:
    """Whether a program evaluates on these inputs to a value at every position."""
    from rasplab.lang.evaluator import evaluate

    try:
        rows = evaluate(from_sexpr(sexpr), [list(x) for x in inputs], strict=False)
    except (RaspLabError, ArithmeticError, KeyError, TypeError, ValueError, IndexError):
        return False
    return all(v is not None for row in rows for v in row)


def related_solutions(model: Any, inputs: Sequence[Sequence[Any]],
                      outputs: Sequence[Sequence[Any]], solved: dict[str, tuple[np.ndarray, str]],
                      k: int = RELATED, probe: int = 16) -> list[str]:
    """The names of up to `k` solved tasks closest to these examples in the model's code
    (cosine similarity), among those whose program runs on the inputs.

    `solved` maps a task name to its examples' code (`model.embed`) and its program (an
    s-expression)."""
    if not solved or k <= 0:
        return []
    code = model.embed(inputs, outputs)
    ranked = sorted(solved, key=lambda name: (-float(code @ solved[name][0]), name))
    out: list[str] = []
    for name in ranked:
        if runs_on(solved[name][1], inputs[:probe]):
            out.append(name)
            if len(out) == k:
                break
    return out
