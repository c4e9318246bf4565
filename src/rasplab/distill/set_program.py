"""One program for a set-valued output: a boolean s-op per token (`allows_rparen`, ...), joined
into the tuple of allowed tokens at each position (`rasplab run` prints it as a JSON list)."""
from __future__ import annotations

import itertools
from typing import Any

from rasplab.lang.ast import NUMERICAL, Map, Node, SequenceMap, causal
from rasplab.lang.functions import SLOT0, Fn, binary, unary

#: up to this many tokens the table lists every combination (later ones: those observed)
FULL_TABLE = 10


def _token_name(t: Any) -> str:
    """A token as part of a name: brackets spelt out, other symbols as underscores."""
    words = {"(": "lparen", ")": "rparen", "[": "lbracket", "]": "rbracket", "{": "lbrace",
             "}": "rbrace", "<": "lt", ">": "gt"}
    if t in words:
        return words[t]
    text = "".join(c if c.isalnum() else "_" for c in str(t)).strip("_")
    return text or "token"


def join_sets(parts: list[tuple[Any, Node]], causal_mode: bool,
              observed: list[tuple[Any, ...]] = ()) -> Node:
    """`{code: (tokens...)}[code]` where code sums 2**i for each token i allowed; beyond
    FULL_TABLE tokens the table holds the `observed` sets (and the empty set)."""
    code: Node | None = None
    for i, (token, program) in enumerate(parts):
        flag = program.named(f"allows_{_token_name(token)}")
        bit = Map(unary("indicator"), flag, encoding=NUMERICAL)
        if i:
            bit = Map(Fn.of("mul", SLOT0, 2 ** i), bit, encoding=NUMERICAL)
        code = bit if code is None else SequenceMap(binary("add"), code, bit,
                                                     encoding=NUMERICAL)
    assert code is not None
    k = len(parts)
    if k <= FULL_TABLE:
        combos = list(itertools.product((0, 1), repeat=k))
    else:
        combos = [tuple(int(t in s) for t, _ in parts) for s in [(), *observed]]
    table = {}
    for bits in combos:
        value = sum(b << i for i, b in enumerate(bits))
        table[value] = tuple(t for (t, _), b in zip(parts, bits) if b)
    program: Node = Map(Fn.table(table), code.named("allowed_code")).named("allowed")
    return causal(program) if causal_mode else program

