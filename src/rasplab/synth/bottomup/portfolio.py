"""Shards of one bottom-up search: a portfolio of cost variants, first solution wins.

The enumeration itself does not split well (every level combines the whole bank), so the search
is partitioned by *strategy* instead: shard i of n searches with its own production-cost variant
(layered on the caller's weights) and its own search-set seed. Shards share nothing; each is a
plain `search(..., shard=(i, n))` call, and `rasplab.parallel.sharded_synthesize` runs them on a
local process pool or on Ray.
"""
from __future__ import annotations

from rasplab.synth.bottomup.grammar import Grammar

#: cost changes per shard, relative to the caller's grammar (shard 0 is the grammar unchanged)
VARIANTS: tuple[dict[str, int], ...] = (
    {},
    # selector logic cheap (tie-breaks, first occurrences), arithmetic dear
    {"and": -1, "or": -1, "not": -1, "aggregate.cat": -1, "map": +1, "binary": +1},
    # arithmetic and numeric aggregates cheap, selector logic dear
    {"map": -1, "binary": -1, "and": +1, "or": +1, "not": +1},
    # the defaults again, on another search set
    {},
)


def shard_grammar(grammar: Grammar, shard: tuple[int, int]) -> Grammar:
    """The grammar shard `i` of `n` searches with: the caller's costs plus its variant's deltas."""
    i, n = shard
    if not 0 <= i < n:
        raise ValueError(f"shard index {i} is not in 0..{n - 1}")
    delta = VARIANTS[i % len(VARIANTS)]
    if not delta:
        return grammar
    names = set(grammar.weights) | set(delta)
    changed = {}
    for name in names:
        step = delta.get(name)
        if step is None:  # "map.add" follows a change of its family "map"
            family = name.split(".")[0]
            step = delta.get(family) if family != name else None
        if step is not None:
            changed[name] = max(1, grammar.cost(name) + step)
    return grammar.with_weights(changed)


def shard_seed(seed: int, shard: tuple[int, int]) -> int:
    """Shards after the first draw their search examples with their own seed."""
    return seed + 7919 * shard[0]
