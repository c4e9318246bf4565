"""Element-wise functions as data: a named operation with argument slots and constants.

Keeping functions symbolic (not Python lambdas) lets programs be printed, compared, hashed and
compiled; an opaque Python callable is still accepted (op ``"py"``) for Tracr-style embedding.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Slot:
    """The i-th argument of the function (the i-th s-op of a Map/SequenceMap)."""

    index: int


@dataclass(frozen=True)
class Const:
    """A constant operand."""

    value: Any


Arg = Slot | Const


def _div(a: Any, b: Any) -> Any:
    return a / b


def _and(a: Any, b: Any) -> Any:
    return a and b


def _or(a: Any, b: Any) -> Any:
    return a or b


def _ifelse(a: Any, c: Any, b: Any) -> Any:
    return a if c else b


def _pow(a: Any, b: Any) -> Any:
    """`a ** b`, refusing whole numbers past float range: `length ** length ** length` would
    otherwise build an integer of millions of digits (minutes of work) that no numerical s-op,
    aggregate or compiled model can hold."""
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1 and \
            b * math.log2(abs(a)) > 1024:
        raise OverflowError(f"{a} ** {b} is beyond the range of numbers")
    return operator.pow(a, b)


def _in(x: Any, container: tuple) -> bool:
    return x in container


def _indicator(x: Any) -> int:
    return 1 if x else 0


def _round(x: Any) -> int:
    return int(round(x))


#: op name -> (arity, implementation, source symbol or None, infix precedence class)
OPS: dict[str, tuple[int, Callable[..., Any]]] = {
    "add": (2, operator.add),
    "sub": (2, operator.sub),
    "mul": (2, operator.mul),
    "div": (2, _div),
    "mod": (2, operator.mod),
    "pow": (2, _pow),
    "eq": (2, operator.eq),
    "ne": (2, operator.ne),
    "lt": (2, operator.lt),
    "le": (2, operator.le),
    "gt": (2, operator.gt),
    "ge": (2, operator.ge),
    "and": (2, _and),
    "or": (2, _or),
    "min": (2, min),
    "max": (2, max),
    "true": (2, lambda a, b: True),
    "false": (2, lambda a, b: False),
    "in": (2, _in),
    "ifelse": (3, _ifelse),
    "neg": (1, operator.neg),
    "pos": (1, operator.pos),
    "not": (1, operator.not_),
    "indicator": (1, _indicator),
    "round": (1, _round),
    "abs": (1, abs),
    "identity": (1, lambda x: x),
    "int": (1, int),
    "float": (1, float),
    "bool": (1, bool),
    "str": (1, str),
    "floor": (1, math.floor),
}

#: the select predicates of RASP and their source symbols
COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _freeze(value: Any) -> Any:
    """Make a constant hashable (lists become tuples, dicts become sorted item tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple((_freeze(k), _freeze(v)) for k, v in value.items())
    return value


@dataclass(frozen=True)
class Fn:
    """An element-wise function: ``op`` applied to ``args`` (slots and constants).

    ``op`` is a key of :data:`OPS`, ``"table"`` (a lookup: ``data`` holds (key, value) pairs,
    as `{"a": 1}[tokens]` builds) or ``"py"`` (an opaque Python callable in ``py``).
    """

    op: str
    args: tuple[Arg, ...] = ()
    data: Any = None
    py: Callable[..., Any] | None = field(default=None, compare=True)
    label: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.op not in OPS and self.op not in ("table", "py"):
            raise ValueError(f"unknown element-wise operation {self.op!r}")
        object.__setattr__(self, "data", _freeze(self.data))
        if self.op == "table":
            object.__setattr__(self, "_lookup", dict(self.data))

    # construction helpers -------------------------------------------------------------------
    @staticmethod
    def of(op: str, *args: Any) -> "Fn":
        """`Fn.of("sub", SLOT0, 1)`: non-Arg arguments become constants."""
        return Fn(op, tuple(a if isinstance(a, Slot | Const) else Const(_freeze(a)) for a in args))

    @staticmethod
    def python(f: Callable[..., Any], arity: int = 1, label: str | None = None) -> "Fn":
        return Fn("py", tuple(Slot(i) for i in range(arity)), py=f,
                  label=label or getattr(f, "__name__", None))

    @staticmethod
    def table(mapping: dict | list | tuple) -> "Fn":
        items = mapping.items() if isinstance(mapping, dict) else enumerate(mapping)
        return Fn("table", (Slot(0),), data=tuple(items))

    @property
    def arity(self) -> int:
        """Number of s-op arguments the function takes."""
        return 1 + max((a.index for a in self.args if isinstance(a, Slot)), default=-1)

    def __call__(self, *values: Any) -> Any:
        vals = [values[a.index] if isinstance(a, Slot) else a.value for a in self.args]
        if self.op == "py":
            return self.py(*vals)  # type: ignore[misc]
        if self.op == "table":
            try:
                return self._lookup[vals[0]]  # type: ignore[attr-defined]
            except (KeyError, TypeError):
                raise KeyError(vals[0]) from None
        return OPS[self.op][1](*vals)


SLOT0, SLOT1, SLOT2 = Slot(0), Slot(1), Slot(2)


def binary(op: str) -> Fn:
    """The two-argument function `op(x, y)`, used for SequenceMaps and select predicates."""
    return Fn(op, (SLOT0, SLOT1))


def unary(op: str) -> Fn:
    return Fn(op, (SLOT0,))


# The select predicates, Tracr-style names.
EQ, NE, LT, LE, GT, GE = (binary(o) for o in ("eq", "ne", "lt", "le", "gt", "ge"))
TRUE, FALSE = binary("true"), binary("false")
