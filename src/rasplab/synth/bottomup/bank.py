"""The bank of distinct values found so far, grouped by sort (s-op kind or selector) and cost.

Each entry is the cheapest program found for one observable behaviour on the search examples;
programs are kept as recipes (a builder and references to other bank entries) and become
program nodes only when asked, so a DAG shares its sub-programs. Entries are keyed by their
fingerprint, which makes the bank partitionable by fingerprint across workers.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from rasplab.lang.ast import Node
from rasplab.synth.bottomup.values import KINDS, Space

SEL = "sel"
Sort = int | str  # an s-op kind, or SEL
Ref = tuple  # (sort, cost, index)


class Level:
    """The entries of one sort at one cost: stacked values plus recipes or nodes."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.recipes: list[Any] = []
        self._values: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.recipes)

    def append(self, values: np.ndarray, recipes: list[Any]) -> None:
        if len(recipes):
            self.chunks.append(values)
            self.recipes.extend(recipes)
            self._values = None

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            self._values = np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0]
            self.chunks = [self._values]
        return self._values


class Bank:
    """Distinct s-op values per kind and distinct selectors, each under its cheapest program."""

    def __init__(self, space: Space):
        self.space = space
        self.levels: dict[Sort, dict[int, Level]] = {s: {} for s in (*KINDS, SEL)}
        self.seen: dict[Sort, dict[float, Ref]] = {s: {} for s in (*KINDS, SEL)}
        #: per selector level, whether each selector picks at most one key per query
        self.functional: dict[int, list[np.ndarray]] = {}
        self.size = 0

    def level(self, sort: Sort, cost: int) -> Level | None:
        lvl = self.levels[sort].get(cost)
        return lvl if lvl is not None and len(lvl) else None

    def costs(self, sort: Sort) -> list[int]:
        return sorted(c for c, lvl in self.levels[sort].items() if len(lvl))

    def chunks(self, sort: Sort, cost: int, size: int) -> Iterator[tuple[np.ndarray, list[Ref]]]:
        """The entries of one level in slices of `size`: (values, refs) pairs, for checking a
        goal made mid-search against what the bank already holds."""
        lvl = self.level(sort, cost)
        if lvl is None:
            return
        for start in range(0, len(lvl), size):
            values = lvl.values[start: start + size]
            yield values, [(sort, cost, j) for j in range(start, start + len(values))]

    def add(self, sort: Sort, cost: int, values: np.ndarray, prints: np.ndarray,
            recipe: Callable[[int], Any], ok: np.ndarray | None = None
            ) -> tuple[np.ndarray, list[Ref]]:
        """Store the rows of `values` whose fingerprint is new: their row indices and refs."""
        seen = self.seen[sort]
        # invalid rows (non-finite somewhere: `clean` zeroed them) are dropped before
        # deduplication, so one cannot stand in for a valid row that prints the same
        rows = np.arange(len(prints)) if ok is None else np.nonzero(ok)[0]
        _, first = np.unique(prints[rows], return_index=True)
        first = rows[np.sort(first)]
        fresh = np.array([i for i in first.tolist() if prints[i] not in seen], dtype=np.int64)
        if not len(fresh):
            return fresh, []
        lvl = self.levels[sort].setdefault(cost, Level())
        start = len(lvl)
        for j, i in enumerate(fresh.tolist()):
            seen[prints[i]] = (sort, cost, start + j)
        lvl.append(values[fresh], [recipe(i) for i in fresh.tolist()])
        self.size += len(fresh)
        return fresh, [(sort, cost, start + j) for j in range(len(fresh))]

    def lookup(self, sort: Sort, prints: np.ndarray) -> list[Ref | None]:
        seen = self.seen[sort]
        return [seen.get(p) for p in prints.tolist()]

    def node(self, ref: Ref) -> Node:
        """The program of a bank entry (built from its recipe on first use, then cached)."""
        sort, cost, index = ref
        lvl = self.levels[sort][cost]
        item = lvl.recipes[index]
        if not isinstance(item, Node):
            make, args = item
            item = make(*[self.node(a) for a in args])
            lvl.recipes[index] = item
        return item

    def value(self, ref: Ref) -> np.ndarray:
        sort, cost, index = ref
        return self.levels[sort][cost].values[index]
