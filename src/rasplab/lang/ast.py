"""RASP programs as immutable DAGs of frozen dataclass nodes, with a Tracr-like Python embedding.

Nodes compare and hash structurally (hashes are cached, so shared sub-programs cost nothing), which
makes them usable as dictionary keys. Because of that, `==` on s-ops keeps its structural meaning;
element-wise equality is written `a.eq(b)` / `a.ne(b)`, while `< <= > >= + - * / % **` and
`& | ~` build programs as in Tracr.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterator

from rasplab.lang.functions import (
    EQ,
    FALSE,
    GE,
    GT,
    LE,
    LT,
    NE,
    SLOT0,
    TRUE,
    Const,
    Fn,
    binary,
    unary,
)


class Encoding(str, Enum):
    """How an s-op's values are represented: categorical (one-hot) or numerical (a scalar)."""

    CATEGORICAL = "categorical"
    NUMERICAL = "numerical"


CATEGORICAL, NUMERICAL = Encoding.CATEGORICAL, Encoding.NUMERICAL
_MISSING: Any = object()


class Node:
    """Base of all program nodes: structural equality with a cached hash."""

    name: str | None

    def _fields(self) -> tuple:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self)  # type: ignore
                     if f.compare)

    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((type(self).__name__,) + self._fields())
            object.__setattr__(self, "_hash", h)
        return h

    def __eq__(self, other: object) -> bool:  # structural equality, not an element-wise map
        if self is other:
            return True
        if type(self) is not type(other) or hash(self) != hash(other):
            return False
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __getstate__(self) -> dict[str, Any]:
        # the cached hash depends on this process's string hashing: a pickle must not carry it
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state

    @property
    def children(self) -> tuple["Node", ...]:
        return ()

    def named(self, name: str) -> "Node":
        """A copy carrying a name (for printing and errors; names do not change meaning)."""
        return self._with(name=name)

    def _with(self, **changes: Any) -> "Node":
        """A shallow copy with some fields changed (works for custom-__init__ nodes too)."""
        new = copy.copy(self)
        new.__dict__.pop("_hash", None)
        for key, value in changes.items():
            object.__setattr__(new, key, value)
        return new

    @property
    def label(self) -> str:
        return self.name or type(self).__name__.lower()


class SOp(Node):
    """A sequence operation: maps an input sequence to a sequence of values of the same length."""

    encoding: Encoding | None

    # --- operator overloading: arithmetic and comparisons build element-wise programs ---------
    def _bin(self, op: str, other: Any, reflected: bool = False) -> "SOp":
        if isinstance(other, SOp):
            a, b = (other, self) if reflected else (self, other)
            return SequenceMap(binary(op), a, b)
        args = (Const(other), SLOT0) if reflected else (SLOT0, Const(other))
        return Map(Fn(op, args), self)

    def __add__(self, o: Any) -> "SOp": return self._bin("add", o)
    def __radd__(self, o: Any) -> "SOp": return self._bin("add", o, True)
    def __sub__(self, o: Any) -> "SOp": return self._bin("sub", o)
    def __rsub__(self, o: Any) -> "SOp": return self._bin("sub", o, True)
    def __mul__(self, o: Any) -> "SOp": return self._bin("mul", o)
    def __rmul__(self, o: Any) -> "SOp": return self._bin("mul", o, True)
    def __truediv__(self, o: Any) -> "SOp": return self._bin("div", o)
    def __rtruediv__(self, o: Any) -> "SOp": return self._bin("div", o, True)
    def __mod__(self, o: Any) -> "SOp": return self._bin("mod", o)
    def __rmod__(self, o: Any) -> "SOp": return self._bin("mod", o, True)
    def __pow__(self, o: Any) -> "SOp": return self._bin("pow", o)
    def __rpow__(self, o: Any) -> "SOp": return self._bin("pow", o, True)
    def __lt__(self, o: Any) -> "SOp": return self._bin("lt", o)
    def __le__(self, o: Any) -> "SOp": return self._bin("le", o)
    def __gt__(self, o: Any) -> "SOp": return self._bin("gt", o)
    def __ge__(self, o: Any) -> "SOp": return self._bin("ge", o)
    def __and__(self, o: Any) -> "SOp": return self._bin("and", o)
    def __rand__(self, o: Any) -> "SOp": return self._bin("and", o, True)
    def __or__(self, o: Any) -> "SOp": return self._bin("or", o)
    def __ror__(self, o: Any) -> "SOp": return self._bin("or", o, True)
    def __neg__(self) -> "SOp": return Map(unary("neg"), self)
    def __invert__(self) -> "SOp": return Map(unary("not"), self)

    def eq(self, o: Any) -> "SOp":
        """Element-wise `self == o` (the `==` operator keeps structural equality)."""
        return self._bin("eq", o)

    def ne(self, o: Any) -> "SOp":
        """Element-wise `self != o`."""
        return self._bin("ne", o)

    def __hash__(self) -> int:  # defining comparisons does not remove hashing
        return Node.__hash__(self)

    def __eq__(self, other: object) -> bool:
        return Node.__eq__(self, other)

    def __bool__(self) -> bool:
        raise TypeError("an s-op has no truth value; use .eq()/.ne() for element-wise comparison "
                        "and `==` only for structural equality")

    def annotated(self, encoding: Encoding | None) -> "SOp":
        """A copy with the given encoding annotation."""
        return self._with(encoding=encoding)  # type: ignore[return-value]


class Selector(Node):
    """A selection matrix S[q, k]: which keys each query attends to."""

    def __and__(self, o: "Selector") -> "Selector": return SelectorAnd(self, o)
    def __or__(self, o: "Selector") -> "Selector": return SelectorOr(self, o)
    def __invert__(self) -> "Selector": return SelectorNot(self)

    def __hash__(self) -> int:
        return Node.__hash__(self)

    def __eq__(self, other: object) -> bool:
        return Node.__eq__(self, other)


# ----------------------------------------------------------------------------------- s-ops ---
@dataclass(frozen=True, eq=False)
class TokensType(SOp):
    """The input tokens."""

    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class IndicesType(SOp):
    """The positions 0..n-1."""

    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class LengthType(SOp):
    """The input length n at every position."""

    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class Full(SOp):
    """A constant s-op: `value` at every position."""

    value: Any
    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)


def _as_fn(f: Fn | Callable[..., Any], arity: int) -> Fn:
    return f if isinstance(f, Fn) else Fn.python(f, arity)


@dataclass(frozen=True, eq=False, init=False)
class Map(SOp):
    """`fn` applied to each value of `arg`: `Map(lambda x: x + 1, indices)` or `Map(Fn, sop)`."""

    fn: Fn
    arg: SOp
    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)

    def __init__(self, fn: Fn | Callable[..., Any], arg: SOp,
                 encoding: Encoding | None = CATEGORICAL, name: str | None = None):
        if not isinstance(arg, SOp):
            raise TypeError(f"Map needs an s-op argument, got {arg!r}")
        object.__setattr__(self, "fn", _as_fn(fn, 1))
        object.__setattr__(self, "arg", arg)
        object.__setattr__(self, "encoding", encoding)
        object.__setattr__(self, "name", name)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


@dataclass(frozen=True, eq=False, init=False)
class SequenceMap(SOp):
    """`fn` applied position by position to two or more s-ops: `SequenceMap(f, a, b)`."""

    fn: Fn
    args: tuple[SOp, ...]
    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)

    def __init__(self, fn: Fn | Callable[..., Any], *args: SOp,
                 encoding: Encoding | None = CATEGORICAL, name: str | None = None):
        if len(args) < 2 or not all(isinstance(a, SOp) for a in args):
            raise TypeError("SequenceMap needs a function and at least two s-ops")
        object.__setattr__(self, "fn", _as_fn(fn, len(args)))
        object.__setattr__(self, "args", tuple(args))
        object.__setattr__(self, "encoding", encoding)
        object.__setattr__(self, "name", name)

    @property
    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, eq=False, init=False)
class Aggregate(SOp):
    """Attention: each query averages (numerical) or takes the unique (categorical) selected value.

    `encoding` decides the semantics: NUMERICAL means the mean, CATEGORICAL the shared value, and
    None (programs from `.rasp` source) the original interpreter's rule: one selected value passes
    through, several numbers give their mean, several equal values give that value.
    """

    selector: Selector
    sop: SOp
    default: Any = None
    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)

    def __init__(self, selector: Selector, sop: SOp, default: Any = _MISSING,
                 encoding: Encoding | None | Any = _MISSING, name: str | None = None):
        if not isinstance(selector, Selector):
            raise TypeError(f"Aggregate needs a selector, got {type(selector).__name__}")
        if not isinstance(sop, SOp):
            raise TypeError(f"Aggregate needs an s-op to aggregate, got {type(sop).__name__}")
        if encoding is _MISSING:
            encoding = sop.encoding
        if default is _MISSING:
            default = 0 if encoding in (NUMERICAL, None) else None
        object.__setattr__(self, "selector", selector)
        object.__setattr__(self, "sop", sop)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "encoding", encoding)
        object.__setattr__(self, "name", name)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.selector, self.sop)


@dataclass(frozen=True, eq=False)
class SelectorWidth(SOp):
    """How many keys each query selects."""

    selector: Selector
    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.selector,)


@dataclass(frozen=True, eq=False, init=False)
class AggregateBest(SOp):
    """Hard (argmax) attention: each query takes `sop` at the selected key whose `score` is
    largest (`maximise`) or smallest; ties go to the earliest key, no key selected gives `default`.

    The result keeps `sop`'s values exactly (any type), so it is categorical by default. Scores
    compare in their natural order (numbers numerically, strings lexicographically).
    """

    selector: Selector
    sop: SOp
    score: SOp
    default: Any = None
    maximise: bool = True
    encoding: Encoding | None = CATEGORICAL
    name: str | None = field(default=None, compare=False)

    def __init__(self, selector: Selector, sop: SOp, score: SOp | None = None,
                 default: Any = None, maximise: bool = True,
                 encoding: Encoding | None = CATEGORICAL, name: str | None = None):
        if not isinstance(selector, Selector):
            raise TypeError(f"AggregateBest needs a selector, got {type(selector).__name__}")
        if not isinstance(sop, SOp):
            raise TypeError(f"AggregateBest needs an s-op to take, got {type(sop).__name__}")
        if score is not None and not isinstance(score, SOp):
            raise TypeError(f"AggregateBest's score must be an s-op, got {type(score).__name__}")
        object.__setattr__(self, "selector", selector)
        object.__setattr__(self, "sop", sop)
        object.__setattr__(self, "score", sop if score is None else score)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "maximise", bool(maximise))
        object.__setattr__(self, "encoding", encoding)
        object.__setattr__(self, "name", name)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.selector, self.sop) if self.score == self.sop else \
            (self.selector, self.sop, self.score)


@dataclass(frozen=True, eq=False)
class Causal(SOp):
    """Marks the whole program causal: every selector sees only keys at or before its query,
    and `length` is the prefix length q + 1. Its encoding is the inner s-op's."""

    sop: SOp
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.sop, SOp):
            raise TypeError(f"causal(...) wraps an s-op, got {type(self.sop).__name__}")

    @property
    def encoding(self) -> Encoding | None:  # type: ignore[override]
        return self.sop.encoding

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.sop,)

    def annotated(self, encoding: Encoding | None) -> "SOp":
        return Causal(self.sop.annotated(encoding), name=self.name)


# ------------------------------------------------------------------------------- selectors ---
@dataclass(frozen=True, eq=False, init=False)
class Select(Selector):
    """S[q, k] = predicate(keys[k], queries[q]) — RASP's convention."""

    keys: SOp
    queries: SOp
    predicate: Fn
    name: str | None = field(default=None, compare=False)

    def __init__(self, keys: SOp, queries: SOp, predicate: Fn | Callable[[Any, Any], bool],
                 name: str | None = None):
        if not isinstance(keys, SOp) or not isinstance(queries, SOp):
            raise TypeError("Select needs two s-ops (keys, queries)")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "queries", queries)
        object.__setattr__(self, "predicate", _as_fn(predicate, 2))
        object.__setattr__(self, "name", name)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.keys, self.queries)


@dataclass(frozen=True, eq=False)
class SelectorAnd(Selector):
    left: Selector
    right: Selector
    name: str | None = field(default=None, compare=False)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, eq=False)
class SelectorOr(Selector):
    left: Selector
    right: Selector
    name: str | None = field(default=None, compare=False)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, eq=False)
class SelectorNot(Selector):
    inner: Selector
    name: str | None = field(default=None, compare=False)

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.inner,)


# ------------------------------------------------------------------------------ embedding ---
tokens = TokensType()
indices = IndicesType()
length = LengthType()


class Comparison:
    """Tracr-style names for the select predicates: `Select(k, q, Comparison.LT)`."""

    EQ, NE, LT, LEQ, GT, GEQ, TRUE, FALSE = EQ, NE, LT, LE, GT, GE, TRUE, FALSE
    LE, GE = LE, GE


def numerical(sop: SOp) -> SOp:
    """Mark an s-op numerical (an aggregate of it then averages)."""
    return sop.annotated(NUMERICAL)


def categorical(sop: SOp) -> SOp:
    """Mark an s-op categorical."""
    return sop.annotated(CATEGORICAL)


def select(keys: SOp | Any, queries: SOp | Any,
           predicate: Fn | Callable[[Any, Any], bool]) -> Select:
    """`select(keys, queries, pred)`; constants stand for constant s-ops."""
    keys = keys if isinstance(keys, SOp) else Full(keys)
    queries = queries if isinstance(queries, SOp) else Full(queries)
    return Select(keys, queries, predicate)


def aggregate(selector: Selector, sop: SOp | Any, default: Any = _MISSING) -> Aggregate:
    """`aggregate(sel, sop[, default])` with Tracr's defaults (None categorical, 0 numerical)."""
    sop = sop if isinstance(sop, SOp) else Full(sop)
    return Aggregate(selector, sop, default)


def selector_width(selector: Selector) -> SelectorWidth:
    return SelectorWidth(selector)


def aggregate_max(selector: Selector, sop: SOp | Any, default: Any = None,
                  score: SOp | Any | None = None) -> AggregateBest:
    """`sop` at the selected key with the largest `score` (default: `sop` itself); ties go to the
    earliest key; `default` where nothing is selected."""
    return _best(selector, sop, default, score, True)


def aggregate_min(selector: Selector, sop: SOp | Any, default: Any = None,
                  score: SOp | Any | None = None) -> AggregateBest:
    """`sop` at the selected key with the smallest `score` (default: `sop` itself); ties go to
    the earliest key; `default` where nothing is selected."""
    return _best(selector, sop, default, score, False)


def _best(selector: Selector, sop: Any, default: Any, score: Any, maximise: bool
          ) -> AggregateBest:
    sop = sop if isinstance(sop, SOp) else Full(sop)
    if score is not None and not isinstance(score, SOp):
        score = Full(score)
    return AggregateBest(selector, sop, score, default, maximise)


def causal(sop: SOp) -> Causal:
    """The program evaluated causally (see `Causal`); causal(causal(x)) == causal(x)."""
    return sop if isinstance(sop, Causal) else Causal(sop)


def is_causal(program: Node) -> bool:
    """Whether the program holds a `Causal` node anywhere (which makes all of it causal)."""
    return any(isinstance(node, Causal) for node in walk(program))


def replace_children(node: Node, new: dict[Node, Node]) -> Node:
    """A copy of `node` whose child nodes are looked up in `new` (unchanged when absent)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        value = getattr(node, f.name)
        if isinstance(value, Node) and value in new and new[value] is not value:
            changes[f.name] = new[value]
        elif isinstance(value, tuple) and any(isinstance(v, Node) and v in new for v in value):
            changes[f.name] = tuple(new.get(v, v) if isinstance(v, Node) else v for v in value)
    return node._with(**changes) if changes else node


def rewrite(program: Node, fn: Callable[[Node], Node]) -> Node:
    """The program with `fn` applied bottom-up to every node (children are rewritten first)."""
    new: dict[Node, Node] = {}
    for node in walk(program):
        new[node] = fn(replace_children(node, new))
    return new[program]


def uncausal(program: Node) -> Node:
    """The program without its `Causal` markers (what a causal program computes, per prefix)."""
    return rewrite(program, lambda n: n.sop if isinstance(n, Causal) else n)


def walk(program: Node) -> Iterator[Node]:
    """Every node of the DAG once, children before parents (a topological order)."""
    seen: set[int] = set()
    order: list[Node] = []
    stack: list[tuple[Node, bool]] = [(program, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in reversed(node.children):
            if id(child) not in seen:
                stack.append((child, False))
    return iter(order)


def size(program: Node) -> int:
    """Number of distinct nodes in the DAG."""
    return len(set(walk(program)))
