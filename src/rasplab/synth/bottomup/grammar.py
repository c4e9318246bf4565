"""The search space as data: productions, their costs, and the constants they may use.

Costs are integers per production name (`"map.add"`, `"binary.div"`, `"select"`, ...), falling
back to the family (`"map"`); a JSON file or a dict overrides them, so that learned priors and a
learned library change the search order without touching the engine. Learned abstractions plug
in as `Abstraction`s: a builder of a program node from argument nodes, with its own cost.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from rasplab.errors import ExamplesError
from rasplab.lang import ast
from rasplab.lang.ast import Node
from rasplab.lang.functions import EQ, LE, SLOT0, Const, Fn, binary, unary
from rasplab.lang.values import value_key
from rasplab.synth.bottomup.values import BOOL, CAT, NUM

DEFAULT_WEIGHTS: dict[str, int] = {
    # leaves
    "tokens": 1, "indices": 1, "length": 1, "full": 2,
    # element-wise maps with a constant (indicator and not are nearly free), and of two s-ops;
    # arithmetic costs more than selection so that the s-op bank grows slower than selectors
    "map": 2, "map.indicator": 1, "map.not": 1, "map.mul": 3, "map.div": 3, "map.mod": 3,
    "map.le": 3, "map.ge": 3,
    # a table of the tokens: a class of tokens, or +1 for one token and -1 for another
    "map.tokens": 2,
    "binary": 3, "binary.mul": 4, "binary.min": 4, "binary.max": 4, "binary.le": 4,
    # selectors: a select over the same s-op or against a leaf or a constant costs "select"
    # plus its arguments; and/or/not combine selectors (RASP's idiom for tie-breaks)
    "select": 1, "and": 1, "or": 1, "not": 2,
    # a selector restricted to the keys up to the query (`s and select(indices, indices, <=)`):
    # a causal mask on the head rather than a second selector, the most common conjunct in
    # RASP programs (prefix counts, running means, "so far at the same level")
    "and.prevs": 1,
    # attention; "shift" reads a value a fixed number of positions back (see `shift_part`)
    "aggregate": 1, "aggregate.cat": 2, "selector_width": 1, "shift": 2,
    # last steps found by working backwards from the output
    "table": 1, "table.pair": 2,
}


@dataclass(frozen=True)
class UnaryOp:
    """An element-wise map of one s-op with a constant: `op(x, c)` (or `op(c, x)` if `flip`)."""

    name: str
    kind: int
    out: int
    consts: str  # which constant set: "arith", "compare", "scale", "modulus", "token", "none"
    fn: Callable[[np.ndarray, float], np.ndarray]
    op: str
    flip: bool = False

    def node_fn(self, c: Any) -> Fn:
        if self.consts == "none":
            return unary(self.op)
        return Fn.of(self.op, c, SLOT0) if self.flip else Fn.of(self.op, SLOT0, c)


@dataclass(frozen=True)
class BinaryOp:
    """An element-wise map of two s-ops of the same kind."""

    name: str
    kind: int
    out: int
    commutative: bool
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def node_fn(self) -> Fn:
        return binary(self.name)


UNARY_OPS: tuple[UnaryOp, ...] = (
    UnaryOp("add", NUM, NUM, "arith", lambda x, c: x + c, "add"),
    UnaryOp("sub", NUM, NUM, "arith", lambda x, c: x - c, "sub"),
    UnaryOp("rsub", NUM, NUM, "arith", lambda x, c: c - x, "sub", flip=True),
    UnaryOp("mul", NUM, NUM, "scale", lambda x, c: x * c, "mul"),
    UnaryOp("div", NUM, NUM, "scale", lambda x, c: x / c, "div"),
    UnaryOp("mod", NUM, NUM, "modulus", lambda x, c: np.mod(x, c), "mod"),
    UnaryOp("eq", NUM, BOOL, "compare", lambda x, c: x == c, "eq"),
    UnaryOp("lt", NUM, BOOL, "compare", lambda x, c: x < c, "lt"),
    UnaryOp("gt", NUM, BOOL, "compare", lambda x, c: x > c, "gt"),
    UnaryOp("le", NUM, BOOL, "compare", lambda x, c: x <= c, "le"),
    UnaryOp("ge", NUM, BOOL, "compare", lambda x, c: x >= c, "ge"),
    UnaryOp("eq", CAT, BOOL, "token", lambda x, c: x == c, "eq"),
    UnaryOp("not", BOOL, BOOL, "none", lambda x, c: 1.0 - x, "not"),
    UnaryOp("indicator", BOOL, NUM, "none", lambda x, c: x, "indicator"),
)

BINARY_OPS: tuple[BinaryOp, ...] = (
    BinaryOp("add", NUM, NUM, True, np.add),
    BinaryOp("sub", NUM, NUM, False, np.subtract),
    BinaryOp("mul", NUM, NUM, True, np.multiply),
    BinaryOp("div", NUM, NUM, False, np.divide),
    BinaryOp("min", NUM, NUM, True, np.minimum),
    BinaryOp("max", NUM, NUM, True, np.maximum),
    BinaryOp("eq", NUM, BOOL, True, np.equal),
    BinaryOp("lt", NUM, BOOL, False, np.less),
    BinaryOp("le", NUM, BOOL, False, np.less_equal),
    BinaryOp("and", BOOL, BOOL, True, np.minimum),
    BinaryOp("or", BOOL, BOOL, True, np.maximum),
    BinaryOp("eq", CAT, BOOL, True, np.equal),
    BinaryOp("lt", CAT, BOOL, False, np.less),
)

#: select predicates, pred(key, query), with numpy implementations
PREDICATES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
}
#: predicates that make sense per kind (booleans and categories only compare for equality,
#: except categories, whose codes follow the values' natural order)
KIND_PREDICATES = {NUM: tuple(PREDICATES), CAT: tuple(PREDICATES), BOOL: ("eq",)}


@dataclass(frozen=True)
class Abstraction:
    """A learned production: `build(*argument_nodes)` gives its program; args are kinds.

    `args` name kinds "num", "bool", "cat" or "sel"; `out` is the result's kind ("sel" for a
    selector). The engine evaluates the built node with the reference evaluator, so any RASP
    pattern (a Stitch abstraction, a hand-written idiom) can become one search step.
    """

    name: str
    args: tuple[str, ...]
    out: str
    cost: int
    build: Callable[..., Node]
    #: optional vectorised meaning: `values(space, [arrays])` -> the result for a whole stack of
    #: argument combinations ((m, B, N) s-ops, (m, B, N, N) selectors) in one numpy pass
    values: Callable[..., np.ndarray] | None = None


@dataclass
class Grammar:
    """Production costs plus constant sets; `cost(name)` falls back from "map.add" to "map"."""

    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    arith_consts: tuple[float, ...] = (1, 2)
    scale_consts: tuple[float, ...] = (2,)
    #: remainders: parity, and the periods of index patterns (every third position, ...)
    modulus_consts: tuple[float, ...] = (2, 3, 4)
    compare_consts: tuple[float, ...] = (0, 1, 2, 0.5)
    abstractions: tuple[Abstraction, ...] = ()
    #: a lookup table's first `table_free` entries are in the price of its production; each
    #: `table_step` entries more cost one more (a table's description grows with its size, so
    #: arithmetic or a threshold that fits wins over the table of the same values)
    table_free: int = 4
    table_step: int = 1

    def cost(self, name: str) -> int:
        while name not in self.weights and "." in name:
            name = name.rsplit(".", 1)[0]
        return max(1, int(round(self.weights.get(name, 1))))

    def table_cost(self, fn: Fn) -> int:
        """The extra price of a lookup table beyond its production: by its total form's size."""
        extra = table_entries(fn.data or ()) - self.table_free
        return 0 if extra <= 0 else -(-extra // max(1, self.table_step))

    def program_cost(self, program: Node, fixed: dict[Node, int] | None = None) -> int:
        """The cost of a program as a DAG: each distinct node counted once, by its production.

        `fixed` gives whole sub-programs a set cost (selector priors, seeded entries)."""
        fixed = fixed or {}
        seen: set[Node] = set()

        def visit(node: Node) -> int:
            if node in seen:
                return 0
            seen.add(node)
            if node in fixed:
                return fixed[node]
            own, parts = self._step(node)
            return own + sum(visit(c) for c in parts)
        return visit(program)

    def _step(self, node: Node) -> tuple[int, tuple[Node, ...]]:
        """The cost of the production that built `node`, and the sub-programs it took."""
        other = causal_part(node)
        if other is not None:
            return self.cost("and.prevs"), (other,)
        moved = shift_part(node)
        if moved is not None:
            return self.cost("shift"), (moved,)
        return self._node_cost(node), node.children

    def _node_cost(self, node: Node) -> int:
        if isinstance(node, ast.TokensType | ast.IndicesType | ast.LengthType):
            return self.cost(type(node).__name__[:-4].lower())
        if isinstance(node, ast.Map):
            if node.fn.op != "table":
                return self.cost(f"map.{node.fn.op}")
            base = self.cost("map.tokens" if isinstance(node.arg, ast.TokensType) else "table")
            return base + self.table_cost(node.fn)
        if isinstance(node, ast.SequenceMap):
            return self.cost("table.pair" if node.fn.op == "ifelse" else f"binary.{node.fn.op}")
        if isinstance(node, ast.Select):
            return self.cost("select")
        if isinstance(node, ast.SelectorAnd | ast.SelectorOr | ast.SelectorNot):
            return self.cost(type(node).__name__[8:].lower())
        if isinstance(node, ast.Aggregate):
            return self.cost("aggregate")
        if isinstance(node, ast.SelectorWidth):
            return self.cost("selector_width")
        return 1  # constants

    @classmethod
    def uniform(cls) -> "Grammar":
        """Every production at cost 1: the search order without any prior (the baseline a
        learned grammar or a recognition model is measured against)."""
        return cls(weights={name: 1 for name in DEFAULT_WEIGHTS})

    def with_weights(self, weights: dict[str, float]) -> "Grammar":
        merged = dict(self.weights)
        merged.update({k: int(round(v)) for k, v in weights.items()})
        return replace(self, weights=merged)

    @classmethod
    def load(cls, source: "Grammar | dict | str | Path | None") -> "Grammar":
        """A grammar from a Grammar, a dict of weights, a JSON file of weights, "uniform" (every
        production at cost 1), or the defaults (None)."""
        if source is None:
            return cls()
        if isinstance(source, Grammar):
            return source
        if source == "uniform":
            return cls.uniform()
        if isinstance(source, str | Path):
            try:
                source = json.loads(Path(source).read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ExamplesError(f"{source}: cannot read production weights ({exc})") \
                    from None
            if not isinstance(source, dict) or not all(
                    isinstance(v, int | float) for v in source.values()):
                raise ExamplesError("production weights must be a JSON object of numbers")
        if not isinstance(source, dict):
            raise TypeError(f"weights must be a Grammar, a dict or a JSON path, got "
                            f"{type(source).__name__}")
        return cls().with_weights(dict(source))

    def to_json(self) -> str:
        return json.dumps(self.weights, indent=2, sort_keys=True)


def table_entries(pairs: Any) -> int:
    """The size of a table's total form (see `tables.total_table`): for numeric keys, its runs
    of equal values in key order (one threshold each); else its keys whose value is not the
    most common one, plus that common value."""
    pairs = list(pairs)
    if not pairs:
        return 0
    keys = [k for k, _ in pairs]
    if all(isinstance(k, int | float) and not isinstance(k, bool) for k in keys):
        values = [value_key(v) for _, v in sorted(pairs, key=lambda kv: kv[0])]
        return 1 + sum(a != b for a, b in zip(values, values[1:]))
    counts: dict[Any, int] = {}
    for _, v in pairs:
        counts[value_key(v)] = counts.get(value_key(v), 0) + 1
    return 1 + len(pairs) - max(counts.values())


def is_prevs(node: Node) -> bool:
    """Whether `node` is `select(indices, indices, <=)` (keys up to the query)."""
    return isinstance(node, ast.Select) and isinstance(node.keys, ast.IndicesType) and \
        isinstance(node.queries, ast.IndicesType) and node.predicate == LE


def causal_part(node: Node) -> Node | None:
    """For `s and prevs` (either order), `s`: the selector under a causal mask; else None."""
    if not isinstance(node, ast.SelectorAnd):
        return None
    if is_prevs(node.right) and not is_prevs(node.left):
        return node.left
    if is_prevs(node.left) and not is_prevs(node.right):
        return node.right
    return None


def shift_part(node: Node) -> Node | None:
    """For `aggregate(select(indices, indices - k, ==), v)` (or `+ k`), `v`: a value read a fixed
    number of positions away, one "shift" step; else None."""
    if not isinstance(node, ast.Aggregate) or node.encoding == ast.NUMERICAL:
        return None
    sel = node.selector
    if not (isinstance(sel, ast.Select) and sel.predicate == EQ
            and isinstance(sel.keys, ast.IndicesType) and isinstance(sel.queries, ast.Map)
            and isinstance(sel.queries.arg, ast.IndicesType)):
        return None
    fn = sel.queries.fn
    if fn.op not in ("add", "sub") or len(fn.args) != 2 or fn.args[0] != SLOT0 \
            or not isinstance(fn.args[1], Const) or not isinstance(fn.args[1].value, int):
        return None
    return node.sop
