"""Values every stage compares: the "any value" output that a position left uncompared holds.

Distillation compares a model's outputs only where they count (from a separator token on, never
the last position's next token); those positions hold `ANY`, which equals every value.
"""
from __future__ import annotations

from typing import Any


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
