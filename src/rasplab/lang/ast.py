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
