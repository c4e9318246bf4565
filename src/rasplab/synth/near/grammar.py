"""Partial RASP programs and the grammar NEAR grows them with, one production per step.

A partial program is an ordinary `rasplab.lang` program in which some nodes are typed holes.
A production rewrites one hole into a small program that may contain new holes; its `cost` is
its structural cost. The plain grammar is the seed report's (one RASP primitive per step); the
macro grammar adds select–aggregate, select–width, shared-s-op select and stable-order (ties
broken by position) blocks as single steps, and relaxes a selector hole under a width by a
counting attention; any further `Production` (for example a learned library abstraction) can
be added to a grammar.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from rasplab.lang.ast import (
    Aggregate,
    Full,
    IndicesType,
    LengthType,
    Map,
    Node,
    Select,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    TokensType,
    indices,
    length,
    tokens,
)
from rasplab.lang.functions import COMPARISONS, EQ, GE, GT, LE, LT, NE, SLOT0, TRUE, Fn, binary
from rasplab.synth.near.holes import BoolFnHole, FnHole, SelectorHole, SOpHole, is_hole

HoleType = str  # "sop" | "sel" | "fn" | "bool"


def hole_type(hole: Node) -> HoleType:
    return {SOpHole: "sop", SelectorHole: "sel", FnHole: "fn", BoolFnHole: "bool"}[type(hole)]


@dataclass(frozen=True)
class Production:
    """Rewrites a hole of type `fills` into `build(hole)` (which may hold fresh holes)."""

    name: str
    fills: HoleType
    build: Callable[[Node], Node] = field(compare=False)
    cost: float = 1.0


def _agg(sel: Node, sop: Node) -> Aggregate:
    # encoding None: one selected value passes through, several numbers average (the relaxation)
    return Aggregate(sel, sop, 0, None)


def _num() -> SOpHole:
    return SOpHole(kind="num")


def _like(hole: Node) -> SOpHole:
    """A hole whose values become the parent hole's values (an aggregate's values)."""
    return SOpHole(kind=getattr(hole, "kind", "any"))


#: productions whose values are numbers made by arithmetic or counting (not tokens)
NUMERIC_RESULTS = {"one", "length", "indices", "map", "map_bool", "add", "sub", "selector_width"}


def _pred_name(pred: Fn) -> str:
    return COMPARISONS.get(pred.op, pred.op.upper())


PREDICATES = (EQ, NE, LT, LE, GT, GE)


def _sop_productions() -> list[Production]:
    prods = [
        Production("tokens", "sop", lambda h: tokens),
        Production("indices", "sop", lambda h: indices),
        Production("length", "sop", lambda h: length),
        Production("one", "sop", lambda h: Full(1)),
        Production("map", "sop", lambda h: FnHole(arg=_num())),
        Production("map_bool", "sop", lambda h: BoolFnHole(arg=_num())),
        Production("add", "sop", lambda h: SequenceMap(binary("add"), _num(), _num())),
        Production("sub", "sop", lambda h: SequenceMap(binary("sub"), _num(), _num())),
        Production("aggregate", "sop", lambda h: _agg(SelectorHole(), _like(h))),
        Production("selector_width", "sop", lambda h: SelectorWidth(SelectorHole())),
    ]
    return prods


def _sub_selector(h: Node) -> SelectorHole:
    """A selector hole of the same sort (one-hot attention or counting) as the hole `h`."""
    return SelectorHole(multi=getattr(h, "multi", False))


def _sel_productions() -> list[Production]:
    prods = [Production(f"select{_pred_name(p)}", "sel",
                        (lambda p: lambda h: Select(SOpHole(), SOpHole(), p))(p))
             for p in PREDICATES]
    prods.append(Production("select_all", "sel", lambda h: Select(indices, indices, TRUE)))
    prods.append(Production("and", "sel", lambda h: SelectorAnd(_sub_selector(h),
                                                                _sub_selector(h)), cost=2.0))
    prods.append(Production("or", "sel", lambda h: SelectorOr(_sub_selector(h),
                                                              _sub_selector(h)), cost=2.0))
    return prods


def _fn_productions() -> list[Production]:
    def const(op: str, c: int, name: str) -> Production:
        return Production(name, "fn", lambda h: Map(Fn.of(op, SLOT0, c), h.arg))  # type: ignore

    return [const("add", 1, "x+1"), const("sub", 1, "x-1"),
            Production("-x", "fn", lambda h: Map(Fn("neg", (SLOT0,)), h.arg))]  # type: ignore


def _bool_productions() -> list[Production]:
    return [Production("x>0", "bool", lambda h: Map(Fn.of("gt", SLOT0, 0), h.arg)),  # type: ignore
            Production("x==0", "bool", lambda h: Map(Fn.of("eq", SLOT0, 0), h.arg))]  # type: ignore


def _shared_width(pred: Fn) -> SelectorWidth:
    """`selector_width(select(?s, ?s, pred))`: one s-op compared with itself (hist, ranks)."""
    hole = SOpHole()
    return SelectorWidth(Select(hole, hole, pred))


def stable_select(pred: Fn, hole: Node | None = None) -> SelectorOr:
    """`select(?s, ?s, pred) or (select(?s, ?s, ==) and select(indices, indices, pred))`:
    the strict order of one s-op with ties broken by position (a stable sort's comparison)."""
    hole = hole if hole is not None else SOpHole()
    return SelectorOr(Select(hole, hole, pred),
                      SelectorAnd(Select(hole, hole, EQ), Select(indices, indices, pred)))


def stable_order_macros(predicates: tuple[Fn, ...] = (LT, GT)) -> list[Production]:
    """Selector-combination blocks as single steps: the stable comparison of one s-op, as a
    selector (`select_stable<`) and under a width (`select_width_stable<`: a stable rank)."""
    prods = []
    for p in predicates:
        name = _pred_name(p)
        prods.append(Production(f"select_stable{name}", "sel",
                                (lambda p: lambda h: stable_select(p))(p)))
        prods.append(Production(f"select_width_stable{name}", "sop",
                                (lambda p: lambda h: SelectorWidth(stable_select(p)))(p)))
    return prods


def select_aggregate_macros(predicates: tuple[Fn, ...] = (EQ, LT, GT)) -> list[Production]:
    """Hand-written blocks: `aggregate(select(?k, ?q, pred), ?v)` and `selector_width(select(?s,
    ?s, pred))` (keys and queries one s-op, the shape the learned library's fn_0 has).

    Blocks for the other predicates, and widths of other selects, stay reachable through the
    plain productions.
    """
    prods = []
    for p in predicates:
        prods.append(Production(f"select_aggregate{_pred_name(p)}", "sop",
                                (lambda p: lambda h: _agg(Select(SOpHole(), SOpHole(), p),
                                                          _like(h)))(p)))
        prods.append(Production(f"select_width{_pred_name(p)}", "sop",
                                (lambda p: lambda h: _shared_width(p))(p)))
    return prods


def counting_selector_productions(predicates: tuple[Fn, ...] = (EQ, LT, GT)) -> list[Production]:
    """`selector_width(?sel)` whose hole is relaxed by a counting (sigmoid) attention, and
    `select(?s, ?s, pred)` (keys and queries one s-op) as one step for a selector hole.

    With one-hot attention a width is always 1, so the plain `selector_width` hole tells the
    search nothing; a counting hole scores width-based programs (ranks, histograms, tie-broken
    ranks built with and/or) before their selector is spelled out.
    """
    prods = [Production("selector_width", "sop",
                        lambda h: SelectorWidth(SelectorHole(multi=True)))]
    for p in predicates:
        prods.append(Production(f"select_shared{_pred_name(p)}", "sel",
                                (lambda p: lambda h: _shared_select(p))(p)))
    return prods


def _shared_select(pred: Fn) -> Select:
    hole = SOpHole()
    return Select(hole, hole, pred)


@dataclass
class Grammar:
    """Productions by the hole type they fill."""

    name: str
    productions: list[Production]
    #: False when the tokens are strings: they then cannot fill a hole under arithmetic
    numeric_tokens: bool = True

    def for_hole(self, hole: Node) -> list[Production]:
        """The productions that can fill `hole` (string tokens and arithmetic do not mix)."""
        kind = getattr(hole, "kind", "any")
        prods = [p for p in self.productions if p.fills == hole_type(hole)]
        if self.numeric_tokens:
            return prods
        if kind == "num":
            return [p for p in prods if p.name != "tokens"]
        if kind == "cat":
            return [p for p in prods if p.name not in NUMERIC_RESULTS
                    and not p.name.startswith("select_width")]
        return prods

    def extended(self, extra: list[Production], name: str | None = None) -> "Grammar":
        """This grammar plus further productions (macros, library abstractions)."""
        return Grammar(name or self.name, self.productions + list(extra), self.numeric_tokens)


def plain_grammar() -> Grammar:
    """The seed report's grammar: one RASP primitive per step."""
    return Grammar("plain", _sop_productions() + _sel_productions() + _fn_productions()
                   + _bool_productions())


def macro_grammar() -> Grammar:
    """The plain grammar plus select–aggregate / select–width blocks as single steps, counting
    selector holes under `selector_width`, and shared-s-op selects as single steps."""
    counting = counting_selector_productions()
    replaced = {p.name for p in counting}
    base = [p for p in plain_grammar().productions if p.name not in replaced]
    return Grammar("macro", base + counting + select_aggregate_macros() + stable_order_macros())


def get_grammar(name: str | Grammar) -> Grammar:
    if isinstance(name, Grammar):
        return name
    table = {"plain": plain_grammar, "macro": macro_grammar}
    if name not in table:
        from rasplab.errors import RaspNameError
        raise RaspNameError(f"unknown NEAR grammar {name!r}; choose plain or macro")
    return table[name]()


# ---------------------------------------------------------------- partial-program surgery ---
def holes(program: Node) -> Iterator[Node]:
    """The holes in pre-order (left to right): NEAR fills the first one next."""
    stack = [program]
    while stack:
        node = stack.pop()
        if is_hole(node):
            yield node
        stack.extend(reversed(node.children))


def first_hole(program: Node) -> Node | None:
    return next(holes(program), None)


def is_complete(program: Node) -> bool:
    return first_hole(program) is None


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    Map: ("arg",), Aggregate: ("selector", "sop"), SelectorWidth: ("selector",),
    Select: ("keys", "queries"), SelectorAnd: ("left", "right"), SelectorOr: ("left", "right"),
    SelectorNot: ("inner",), FnHole: ("arg",), BoolFnHole: ("arg",),
}


def replace(program: Node, target: Node, new: Node) -> Node:
    """`program` with the node `target` (by identity) replaced by `new`."""
    if program is target:
        return new
    if isinstance(program, SequenceMap):
        args = tuple(replace(a, target, new) for a in program.args)
        return program if all(a is b for a, b in zip(args, program.args)) else \
            program._with(args=args)
    names = _CHILD_FIELDS.get(type(program), ())
    changes = {}
    for name in names:
        child = getattr(program, name)
        rebuilt = replace(child, target, new)
        if rebuilt is not child:
            changes[name] = rebuilt
    return program._with(**changes) if changes else program


def substitute(program: Node, fill: Callable[[Node], Node | None]) -> Node:
    """`program` with every node for which `fill` returns a node replaced by it (top-down)."""
    new = fill(program)
    if new is not None:
        return new
    if isinstance(program, SequenceMap):
        args = tuple(substitute(a, fill) for a in program.args)
        return program if all(a is b for a, b in zip(args, program.args)) else \
            program._with(args=args)
    changes = {}
    for name in _CHILD_FIELDS.get(type(program), ()):
        child = getattr(program, name)
        rebuilt = substitute(child, fill)
        if rebuilt is not child:
            changes[name] = rebuilt
    return program._with(**changes) if changes else program


def depth(program: Node) -> int:
    """Height of the program tree (a leaf or hole has depth 1)."""
    return 1 + max((depth(c) for c in program.children), default=0)


def show(program: Node) -> str:
    """A compact s-expression of a partial program, holes written `?sop`, `?sel`, `?fn`, `?bool`."""
    if isinstance(program, SOpHole):
        return "?sop"
    if isinstance(program, SelectorHole):
        return "?sel"
    if isinstance(program, FnHole):
        return f"(map ?fn {show(program.arg)})"
    if isinstance(program, BoolFnHole):
        return f"(map ?bool {show(program.arg)})"
    if isinstance(program, TokensType | IndicesType | LengthType):
        return type(program).__name__[:-4].lower()
    if isinstance(program, Full):
        return repr(program.value)
    if isinstance(program, Map | SequenceMap):
        fn = program.fn
        consts = "".join(f" {a.value!r}" for a in fn.args if not hasattr(a, "index"))
        args = [program.arg] if isinstance(program, Map) else list(program.args)
        return f"({fn.op}{consts} {' '.join(show(a) for a in args)})"
    if isinstance(program, Aggregate):
        return f"(aggregate {show(program.selector)} {show(program.sop)})"
    if isinstance(program, SelectorWidth):
        return f"(selector_width {show(program.selector)})"
    if isinstance(program, Select):
        return f"(select {show(program.keys)} {show(program.queries)} " \
               f"{_pred_name(program.predicate)})"
    if isinstance(program, SelectorAnd | SelectorOr):
        op = "and" if isinstance(program, SelectorAnd) else "or"
        return f"({op} {show(program.left)} {show(program.right)})"
    if isinstance(program, SelectorNot):
        return f"(not {show(program.inner)})"
    return type(program).__name__
