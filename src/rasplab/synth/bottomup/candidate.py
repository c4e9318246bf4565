"""A complete program proposed by a goal: what every goal module hands to the search driver."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rasplab.lang.ast import Node


@dataclass
class Candidate:
    """A complete program proposed by a last step, with its accuracy on the search examples."""

    build: Callable[[], Node]
    cost: int
    search_acc: float
    how: str  # "direct", "table" / "pair" (build gives the key s-ops), "aggregate", "inverse"
