"""Ready-made causal s-ops for bracket languages: the nesting depth and the innermost open
bracket, offered to the search as single steps when a model's tokens hold bracket pairs.

The innermost open bracket after position q is the latest opener whose depth equals q's: any
opener after it at that depth would mean it had been closed. With the best-value aggregate that
is one attention step, the one a Dyck-n model needs to say which closer may follow.
"""
from __future__ import annotations

from typing import Any, Sequence

from rasplab.lang.ast import (
    NUMERICAL,
    Full,
    Map,
    Node,
    Select,
    SelectorWidth,
    SequenceMap,
    aggregate_max,
    indices,
    tokens,
)
from rasplab.lang.functions import EQ, SLOT0, Fn, binary

PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}


def bracket_pairs(vocab: Sequence[Any]) -> list[tuple[str, str]]:
    """The (opener, closer) pairs whose both tokens are in `vocab`."""
    have = set(t for t in vocab if isinstance(t, str))
    return [(o, c) for o, c in PAIRS.items() if o in have and c in have]


def bracket_leaves(vocab: Sequence[Any]) -> list[tuple[Node, int]]:
    """(node, cost) for `depth` and, with two or more pairs, `innermost` (the open bracket a
    closer must match); nothing when the vocabulary holds no bracket pair."""
    pairs = bracket_pairs(vocab)
    if not pairs:
        return []
    openers = tuple(o for o, _ in pairs)
    closers = tuple(c for _, c in pairs)
    is_open = Map(Fn.of("in", SLOT0, openers), tokens).named("is_open")
    is_close = Map(Fn.of("in", SLOT0, closers), tokens).named("is_close")
    true = Full(True, encoding=None)
    opens = SelectorWidth(Select(is_open, true, EQ)).named("opens")
    closes = SelectorWidth(Select(is_close, true, EQ)).named("closes")
    depth = SequenceMap(binary("sub"), opens, closes, encoding=NUMERICAL).named("depth")
    leaves: list[tuple[Node, int]] = [(depth, 3)]
    if len(pairs) > 1:
        same_level_openers = Select(depth, depth, EQ) & Select(is_open, true, EQ)
        innermost = aggregate_max(same_level_openers, tokens, default=None,
                                  score=indices).named("innermost")
        leaves.append((innermost, 4))
    return leaves
