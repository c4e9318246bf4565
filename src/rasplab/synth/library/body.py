"""An abstraction's body as a compiled term: vectorised values on the engine's arrays, and nodes.

A Stitch body is an s-expression with holes `#0 #1 ...`. `Body` compiles it once into a small
tree that, given bank arrays for the holes (stacked along a leading candidate axis), computes the
result for every candidate in one numpy pass, and that builds the same program as RASP nodes. The
two agree on the engine's semantics; the search verifies every proposed program anyway.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rasplab.errors import RaspSyntaxError
from rasplab.lang.ast import (
    NUMERICAL,
    Aggregate,
    Full,
    Map,
    Node,
    Select,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    indices,
    length,
    numerical,
    tokens,
)
from rasplab.lang.functions import OPS, Const, Fn, Slot, binary
from rasplab.lang.sexpr import _NO_LITERAL, _as_literal, _Sym, parse_sexpr
from rasplab.lang.values import is_number
from rasplab.synth.bottomup.values import BOOL, CAT, NUM, Space

SEL = "sel"
_METAVAR = "#"
ARITH = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
         "mod": np.mod, "pow": np.power, "min": np.minimum, "max": np.maximum}
COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal}
PREDICATES = {**COMPARE, "true": lambda k, q: np.ones(np.broadcast(k, q).shape, dtype=bool),
              "false": lambda k, q: np.zeros(np.broadcast(k, q).shape, dtype=bool)}
UNARY = {"neg": np.negative, "pos": lambda x: x, "abs": np.abs, "identity": lambda x: x,
         "round": np.round, "floor": np.floor, "int": np.trunc, "float": lambda x: x}
WRAPPERS = ("numerical", "categorical", "unannotated")


class Unsupported(Exception):
    """The body uses a form that has no vectorised meaning here (the abstraction is skipped)."""


@dataclass
class Val:
    """A value during vectorised evaluation: an array and its kind, or a Python constant."""

    kind: Any  # NUM, BOOL, CAT, SEL, or None for a constant
    array: Any = None
    const: Any = None

    @property
    def is_const(self) -> bool:
        return self.kind is None


def hole_index(tree: Any) -> int | None:
    """The metavariable number of `#i`, else None."""
    if isinstance(tree, _Sym) and tree.startswith(_METAVAR) and tree[1:].isdigit():
        return int(tree[1:])
    return None


def literal(tree: Any) -> Any:
    """The constant a sub-term denotes, or `_NO_LITERAL`."""
    if isinstance(tree, _Sym) and tree in ("tokens", "indices", "length"):
        return _NO_LITERAL
    try:
        return _as_literal(tree)
    except RaspSyntaxError:
        return _NO_LITERAL


class Body:
    """A compiled abstraction body over holes of known kinds (NUM/BOOL/CAT/SEL per hole)."""

    def __init__(self, text: str):
        self.text = text
        self.tree = parse_sexpr(text)
        self.holes = 1 + max((i for i in hole_numbers(self.tree)), default=-1)

    # --- vectorised values -------------------------------------------------------------------
    def values(self, space: Space, args: list[np.ndarray], kinds: list[Any]) -> Val:
        """The body on stacked hole arrays ((m, B, N) s-ops or (m, B, N, N) selectors)."""
        with np.errstate(all="ignore"):
            return _Eval(space, [Val(k, a) for k, a in zip(kinds, args)]).run(self.tree)

    def out_kind(self, space: Space, kinds: list[Any]) -> Any:
        """The result kind for hole kinds (evaluated on one dummy candidate)."""
        dummies = [np.zeros((1, space.B, space.N, space.N), dtype=bool) if k == SEL
                   else np.zeros((1, space.B, space.N)) for k in kinds]
        out = self.values(space, dummies, kinds)
        if out.is_const:
            raise Unsupported("the body is a constant")
        return out.kind

    # --- program nodes -------------------------------------------------------------------------
    def build(self, args: list[Node], kinds: list[Any], space: Space) -> Node:
        """The program the body denotes with `args` in its holes (the engine's annotations)."""
        return _Build(args, kinds, space).node(self.tree)


def hole_numbers(tree: Any) -> list[int]:
    """The hole numbers in a term, in order of appearance."""
    if isinstance(tree, list):
        return [i for t in tree for i in hole_numbers(t)]
    i = hole_index(tree)
    return [] if i is None else [i]


def _fold(op: str, consts: list[Any]) -> Any:
    try:
        return OPS[op][1](*consts)
    except Exception as exc:
        raise Unsupported(f"constant {op} failed ({exc})") from None


class _Eval:
    def __init__(self, space: Space, holes: list[Val]):
        self.sp, self.holes = space, holes

    def encode(self, c: Any, kind: Any) -> float:
        return self.sp.encode(c, kind, missing=np.nan)

    def as_array(self, v: Val, kind: Any) -> np.ndarray:
        if v.is_const:
            return np.full((1, 1, 1), self.encode(v.const, kind))
        return v.array

    def run(self, tree: Any) -> Val:
        sp = self.sp
        i = hole_index(tree)
        if i is not None:
            if i >= len(self.holes):
                raise Unsupported(f"hole #{i} has no argument")
            return self.holes[i]
        if isinstance(tree, _Sym) and tree == "tokens":
            return Val(sp.token_kind, sp.tokens[None])
        if isinstance(tree, _Sym) and tree == "indices":
            return Val(NUM, sp.indices[None])
        if isinstance(tree, _Sym) and tree == "length":
            return Val(NUM, sp.length[None])
        c = literal(tree)
        if c is not _NO_LITERAL:
            return Val(None, const=c)
        if not isinstance(tree, list) or not tree or not isinstance(tree[0], _Sym):
            raise Unsupported(f"unknown term {tree!r}")
        head, rest = str(tree[0]), tree[1:]
        if head in WRAPPERS:
            return self.run(rest[0])
        if head == "full":
            return self.full(literal(rest[0]))
        if head == "select":
            return self.select(rest)
        if head == "aggregate":
            return self.aggregate(rest)
        if head == "selector_width":
            s = self.run(rest[0])
            if s.kind != SEL:
                raise Unsupported("selector_width of an s-op")
            return Val(NUM, s.array.sum(axis=-1).astype(np.float64))
        if head == "table":
            return self.table(rest)
        args = [self.run(t) for t in rest]
        if head in ("and", "or", "not") and any(a.kind == SEL for a in args):
            ops = {"and": np.logical_and, "or": np.logical_or}
            if head == "not":
                return Val(SEL, ~args[0].array & sp.pvalid)
            return Val(SEL, ops[head](args[0].array, args[1].array))
        if head not in OPS:
            raise Unsupported(f"operation {head}")
        if all(a.is_const for a in args):
            return Val(None, const=_fold(head, [a.const for a in args]))
        return self.elementwise(head, args)

    def full(self, c: Any) -> Val:
        kind = NUM if is_number(c) else BOOL if isinstance(c, bool) else CAT
        return Val(kind, np.where(self.sp.valid, self.encode(c, kind), 0.0)[None])

    def sop(self, v: Val) -> Val:
        return self.full(v.const) if v.is_const else v

    def elementwise(self, op: str, args: list[Val]) -> Val:
        kinds = {a.kind for a in args if not a.is_const}
        if SEL in kinds:
            raise Unsupported(f"{op} of a selector")
        if op in ARITH:
            if CAT in kinds:
                raise Unsupported(f"{op} of categories")
            a, b = (self.as_array(x, NUM) for x in args)
            return Val(NUM, ARITH[op](a, b))
        if op in COMPARE:
            kind = CAT if CAT in kinds else (NUM if NUM in kinds else BOOL)
            if op not in ("eq", "ne") and kind == BOOL:
                kind = NUM
            a, b = (self.as_array(x, kind) for x in args)
            return Val(BOOL, COMPARE[op](a, b).astype(np.float64))
        if op in ("and", "or"):
            a, b = (self.as_array(x, BOOL) for x in args)
            return Val(BOOL, (np.minimum if op == "and" else np.maximum)(a, b))
        if op in ("not", "bool"):
            a = self.as_array(args[0], BOOL)
            return Val(BOOL, (a == 0).astype(np.float64) if op == "not" else (a != 0) * 1.0)
        if op == "indicator":
            a = args[0]
            arr = a.array if a.kind in (BOOL, NUM) else None
            if arr is None:
                raise Unsupported("indicator of a category")
            return Val(NUM, (arr != 0).astype(np.float64))
        if op in UNARY:
            if args[0].kind == CAT:
                raise Unsupported(f"{op} of a category")
            return Val(NUM, UNARY[op](args[0].array))
        if op == "in":
            x, box = args
            if not box.is_const or x.is_const:
                raise Unsupported("in with a non-constant container")
            codes = [self.encode(c, x.kind) for c in box.const]
            return Val(BOOL, np.isin(x.array, [c for c in codes if c == c]).astype(np.float64))
        if op == "ifelse":
            a, cond, b = args
            kind = next((v.kind for v in (a, b) if not v.is_const), None)
            if kind is None:
                a, b = self.sop(a), self.sop(b)
                if a.kind != b.kind:
                    raise Unsupported("ifelse of constants of two kinds")
                kind = a.kind
            if cond.is_const:
                raise Unsupported("ifelse on a constant")
            x, y = self.as_array(a, kind), self.as_array(b, kind)
            return Val(kind, np.where(cond.array != 0, x, y))
        raise Unsupported(f"operation {op}")

    def select(self, rest: list) -> Val:
        keys, queries = self.run(rest[0]), self.run(rest[1])
        pred = rest[2]
        if not isinstance(pred, _Sym) or str(pred) not in PREDICATES:
            raise Unsupported(f"select predicate {pred!r}")
        if keys.is_const and queries.is_const:
            raise Unsupported("select of two constants")
        kind = queries.kind if keys.is_const else keys.kind
        k, q = self.as_array(keys, kind), self.as_array(queries, kind)
        k = np.broadcast_to(k, np.broadcast_shapes(k.shape, (1, 1, 1)))
        sels = PREDICATES[str(pred)](k[:, :, None, :], q[:, :, :, None])
        return Val(SEL, sels & self.sp.pvalid)

    def aggregate(self, rest: list) -> Val:
        s, v = self.run(rest[0]), self.sop(self.run(rest[1]))
        default = literal(rest[2]) if len(rest) > 2 else 0
        if s.kind != SEL or v.kind == SEL:
            raise Unsupported("aggregate needs a selector and an s-op")
        sels = s.array.astype(np.float64)  # (m, B, N, N)
        vals = np.broadcast_to(v.array, np.broadcast_shapes(v.array.shape, (1, 1, 1)))
        total = np.matmul(sels, vals[..., None])[..., 0]  # (m, B, N), m broadcast
        count = np.broadcast_to(sels.sum(axis=-1), total.shape)
        d = self.encode(default, v.kind)
        if v.kind == NUM:
            return Val(NUM, np.where(count > 0, total / np.maximum(count, 1), d))
        big = np.where(sels > 0, vals[:, :, None, :], np.inf).min(axis=-1)
        small = np.where(sels > 0, vals[:, :, None, :], -np.inf).max(axis=-1)
        out = np.where(big == small, big, np.nan)
        return Val(v.kind, np.where(count > 0, out, d))

    def table(self, rest: list) -> Val:
        x = self.run(rest[0])
        if x.is_const or x.kind == SEL:
            raise Unsupported("table of a constant")
        pairs = [(literal(rest[i]), literal(rest[i + 1])) for i in range(1, len(rest) - 1, 2)]
        outs = [v for _, v in pairs]
        kind = NUM if all(is_number(v) for v in outs) else \
            BOOL if all(isinstance(v, bool) for v in outs) else CAT
        out = np.full(np.broadcast_shapes(x.array.shape, (1, 1, 1)), np.nan)
        for k, v in pairs:
            out = np.where(x.array == self.encode(k, x.kind), self.encode(v, kind), out)
        return Val(kind, out)


class _Build:
    """Program nodes for a body with argument nodes in its holes (mirrors `_Eval`)."""

    def __init__(self, args: list[Node], kinds: list[Any], space: Space):
        self.args, self.kinds, self.sp = args, kinds, space

    def node(self, tree: Any) -> Any:
        """A Node, or ("const", value) for a constant sub-term."""
        i = hole_index(tree)
        if i is not None:
            return self.args[i]
        if isinstance(tree, _Sym) and tree in ("tokens", "indices", "length"):
            return {"tokens": tokens, "indices": indices, "length": length}[str(tree)]
        c = literal(tree)
        if c is not _NO_LITERAL:
            return ("const", c)
        head, rest = str(tree[0]), tree[1:]
        if head in WRAPPERS:
            return self.node(rest[0])
        if head == "full":
            return self.full(literal(rest[0]))
        if head == "select":
            k, q = self.sop(self.node(rest[0])), self.sop(self.node(rest[1]))
            return Select(k, q, binary(str(rest[2])))
        if head == "aggregate":
            s, v = self.node(rest[0]), self.sop(self.node(rest[1]))
            default = literal(rest[2]) if len(rest) > 2 else 0
            if self.kind_of(rest[1]) == NUM:
                return Aggregate(s, numerical(v), default, encoding=NUMERICAL)
            return Aggregate(s, v, default)
        if head == "selector_width":
            return SelectorWidth(self.node(rest[0]))
        if head == "table":
            x = self.node(rest[0])
            pairs = {literal(rest[i]): literal(rest[i + 1]) for i in range(1, len(rest) - 1, 2)}
            return Map(Fn.table(pairs), x)
        args = [self.node(t) for t in rest]
        if head in ("and", "or", "not") and any(_is_selector(a) for a in args):
            if head == "not":
                return SelectorNot(args[0])
            return (SelectorAnd if head == "and" else SelectorOr)(args[0], args[1])
        if all(isinstance(a, tuple) for a in args):
            return ("const", _fold(head, [a[1] for a in args]))
        fn_args: list[Slot | Const] = []
        sops: list[Node] = []
        for a in args:
            if isinstance(a, tuple):
                fn_args.append(Const(a[1]))
            else:
                fn_args.append(Slot(len(sops)))
                sops.append(a)
        fn = Fn(head, tuple(fn_args))
        return Map(fn, sops[0]) if len(sops) == 1 else SequenceMap(fn, *sops)

    def kind_of(self, tree: Any) -> Any:
        """The kind the evaluator gives a sub-term (for the aggregate's annotation)."""
        holes = [np.zeros((1, self.sp.B, self.sp.N, self.sp.N), dtype=bool) if k == SEL
                 else np.zeros((1, self.sp.B, self.sp.N)) for k in self.kinds]
        with np.errstate(all="ignore"):
            v = _Eval(self.sp, [Val(k, a) for k, a in zip(self.kinds, holes)]).run(tree)
        if v.is_const:
            c = v.const
            return NUM if is_number(c) else BOOL if isinstance(c, bool) else CAT
        return v.kind

    def full(self, c: Any) -> Node:
        return Full(c, encoding=NUMERICAL) if is_number(c) else Full(c)

    def sop(self, x: Any) -> Node:
        return self.full(x[1]) if isinstance(x, tuple) else x


def _is_selector(x: Any) -> bool:
    from rasplab.lang.ast import Selector
    return isinstance(x, Selector)
