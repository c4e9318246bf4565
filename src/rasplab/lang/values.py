"""Values every stage compares: the value key, the number test, and the one ruler for equal
outputs (`same_value`, `outputs_equal`), with `ANY`, the output a position left uncompared holds.

Distillation compares a model's outputs only where they count (from a separator token on, never
the last position's next token); those positions hold `ANY`, which equals every value.

The ruler. Two values are the same output when
- either is `ANY`;
- both are numbers (int or float; a bool is not a number unless `bools_are_numbers`) within
  `tol`, relative and absolute (`math.isclose`), 1e-9 by default: 1/3 computed two ways agree;
- otherwise they are equal and of the same type (1, 1.0 as numbers aside: 1, True and "1"
  differ; None equals only None); with `strict_type=False` plain `==` decides, except that a
  float never equals a non-number;
- two lists (or tuples) are compared element by element with the same ruler.
`tol=None` compares numbers by type too (exact, no tolerance): the identity of table values.
The call sites' settings (kept as they were when the copies were merged here): bottom-up search
`strict_type=False` (an int output 1 matches True); NEAR also `bools_are_numbers`; distillation's
verification `tol=1e-6, bools_are_numbers=True` (model outputs pass through float32); sequence
distillation `tol=1e-6, strict_type=False`; table values and fill values `tol=None`.
"""
from __future__ import annotations

import math
from typing import Any, Sequence


class _Any:
    """The wildcard output: equal to every value, printed as `*`."""

    _instance: "_Any | None" = None

    def __new__(cls) -> "_Any":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "*"

    def __reduce__(self) -> str:  # pickles (to worker processes) as the one instance
        return "ANY"

    def __hash__(self) -> int:
        return hash("rasplab.ANY")


#: an output position that is not compared (equal to anything)
ANY: Any = _Any()


def is_any(value: Any) -> bool:
    return value is ANY


def value_key(value: Any) -> tuple:
    """Dictionary key that keeps 1, 1.0, True and '1' apart (they are different RASP values);
    every NaN is one key (NaN != NaN would make each its own)."""
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, value)


def is_number(value: Any) -> bool:
    """A RASP number: an int or a float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def same_value(a: Any, b: Any, *, tol: float | None = 1e-9, bools_are_numbers: bool = False,
               strict_type: bool = True) -> bool:
    """Whether `a` and `b` are the same output, by the ruler in this module's docstring."""
    if a is ANY or b is ANY:
        return True
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and (
            not strict_type or type(a) is type(b)):
        return outputs_equal(a, b, tol=tol, bools_are_numbers=bools_are_numbers,
                             strict_type=strict_type)
    if tol is not None:
        numeric = (lambda v: isinstance(v, int | float)) if bools_are_numbers else is_number
        if numeric(a) and numeric(b):
            return a == b or math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if strict_type:
        return type(a) is type(b) and a == b
    return a == b and not (isinstance(a, float) or isinstance(b, float))


def outputs_equal(got: Sequence[Any] | None, want: Sequence[Any] | None, *,
                  tol: float | None = 1e-9, bools_are_numbers: bool = False,
                  strict_type: bool = True) -> bool:
    """Equal output sequences, position by position by `same_value`; None (a program that
    failed on the input) equals nothing."""
    if got is None or want is None or len(got) != len(want):
        return False
    return all(same_value(a, b, tol=tol, bools_are_numbers=bools_are_numbers,
                          strict_type=strict_type) for a, b in zip(got, want))
