"""Printers: a program as readable `.rasp` source, as one expression, or as Python embedding code.

`parse(to_rasp(p)).last == p` and `exec(to_python(p))` give back a structurally equal program,
encodings included; opaque Python functions cannot be written as source and raise UnprintableError.
"""
from __future__ import annotations

import keyword
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from rasplab.errors import RaspLabError, set_node_renderer
from rasplab.lang.ast import (
    CATEGORICAL,
    NUMERICAL,
    Aggregate,
    AggregateBest,
    Causal,
    Encoding,
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
    SOp,
    TokensType,
    is_causal,
    uncausal,
)
from rasplab.lang.functions import (
    COMPARISONS,
    EQ,
    FALSE,
    GE,
    GT,
    LE,
    LT,
    NE,
    OPS,
    TRUE,
    Const,
    Fn,
    Slot,
)


class UnprintableError(RaspLabError):
    """A program that cannot be written as source (an opaque Python function, an odd constant)."""


# precedence levels of `.rasp` expressions, loosest first (see grammar.lark)
IN, TERNARY, LOGIC, COMPARE, SUM, MOD, PRODUCT, POWER, UNARY, ATOM = 1, 2, 3, 5, 6, 7, 8, 9, 10, 11

INFIX = {"add": ("+", SUM), "sub": ("-", SUM), "mul": ("*", PRODUCT), "div": ("/", PRODUCT),
         "mod": ("%", MOD), "pow": ("^", POWER), "and": ("and", LOGIC), "or": ("or", LOGIC),
         **{op: (sym, COMPARE) for op, sym in COMPARISONS.items()}}
PREFIX = {"neg": "-", "pos": "+", "not": "not "}
#: unary operations written as calls: RASP's own, and the parser's conversion built-ins
CALLS = ("round", "indicator", "int", "float", "str", "bool", "abs", "floor")
NAMED_PREDICATES = {EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=",
                    TRUE: "TRUE", FALSE: "FALSE"}
RESERVED = frozenset("""def return for in if else and or not load draw round indicator select
    aggregate aggregate_max aggregate_min causal selector_width numerical categorical unannotated
    full fn slot chr float int str bool
    abs floor tokens tokens_str tokens_int tokens_float tokens_bool tokens_asis indices length True
    False None TRUE FALSE range zip len""".split())
_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")
_PLAIN_CHARS = re.compile(r'[^"\x00-\x1f\x7f]+')


@dataclass(frozen=True)
class Text:
    """A rendered expression and its precedence level (higher binds tighter)."""

    text: str
    level: int

    def at(self, level: int) -> str:
        """The text, parenthesised when it binds looser than `level` requires."""
        return self.text if self.level >= level else f"({self.text})"


# ---------------------------------------------------------------------------- constants ---
def _plain(value: Any) -> Any:
    """Numpy scalars to Python values."""
    return value.item() if hasattr(value, "item") and not isinstance(value, list | tuple) else value


def rasp_atom(value: Any) -> Text:
    """An atom as `.rasp` source that evaluates (eagerly) to an equal value."""
    value = _plain(value)
    if value is None or isinstance(value, bool):
        return Text(str(value), ATOM)
    if isinstance(value, int):
        return Text(str(value), ATOM if value >= 0 else UNARY)
    if isinstance(value, float):
        if math.isnan(value):
            return Text('float("nan")', ATOM)
        if math.isinf(value):
            return Text('float("inf")' if value > 0 else '-float("inf")',
                        ATOM if value > 0 else UNARY)
        text = repr(value)
        return Text(text, UNARY if text.startswith("-") else ATOM)
    if isinstance(value, str):
        return _rasp_string(value)
    if isinstance(value, list | tuple):
        return Text("[" + ", ".join(rasp_atom(v).text for v in value) + "]", ATOM)
    raise UnprintableError(f"constant {value!r} of type {type(value).__name__} has no .rasp form")


def _rasp_string(value: str) -> Text:
    # RASP strings have no escapes: quotes and control characters are joined in with chr()
    parts: list[str] = []
    pos = 0
    for m in _PLAIN_CHARS.finditer(value):
        parts += [f"chr({ord(c)})" for c in value[pos:m.start()]]
        parts.append(f'"{m.group()}"')
        pos = m.end()
    parts += [f"chr({ord(c)})" for c in value[pos:]]
    if not parts:
        return Text('""', ATOM)
    if len(parts) == 1:
        return Text(parts[0], ATOM)
    if parts[0].startswith("chr"):
        parts.insert(0, '""')  # keep it a string sum even if it starts with a character
    return Text(" + ".join(parts), SUM)


# ----------------------------------------------------------------------- DAG and naming ---
def _children(node: Node) -> tuple[Node, ...]:
    return node.children


def _order(program: Node) -> tuple[list[Node], Counter]:
    """Distinct nodes (structurally), children first, and how often each is used as a child."""
    order: list[Node] = []
    seen: set[Node] = set()
    uses: Counter = Counter()
    stack: list[tuple[Node, bool]] = [(program, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if node not in seen:
                seen.add(node)
                order.append(node)
            continue
        if node in seen:
            continue
        stack.append((node, True))
        for child in reversed(_children(node)):
            if child not in seen:
                stack.append((child, False))
    for node in order:
        for child in _children(node):
            uses[child] += 1
    return order, uses


_PREFIXES = {Select: "sel", SelectorAnd: "sel", SelectorOr: "sel", SelectorNot: "sel",
             Aggregate: "agg", AggregateBest: "best", SelectorWidth: "width", Full: "const",
             Causal: "causal"}


def _invented(node: Node) -> str:
    fn = getattr(node, "fn", None)
    if fn is not None:
        return {"table": "lookup", "py": "fn"}.get(fn.op, fn.op)
    return _PREFIXES.get(type(node), type(node).__name__.lower())


class _Names:
    """Unique, valid, non-reserved variable names."""

    def __init__(self, reserved: frozenset[str]):
        self.reserved = reserved
        self.taken: set[str] = set()
        self.counters: Counter = Counter()

    def claim(self, wanted: str | None, prefix: str) -> str:
        if wanted is not None:
            base = re.sub(r"\W", "_", wanted)
            if not _IDENT.match(base):
                base = "_" + base if base else prefix
            if base not in self.reserved and base not in self.taken:
                self.taken.add(base)
                return base
            prefix = base
        while True:
            self.counters[prefix] += 1
            candidate = f"{prefix}_{self.counters[prefix]}"
            if candidate not in self.reserved and candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def _is_primitive(node: Node) -> bool:
    return isinstance(node, TokensType | IndicesType | LengthType)


def _plan(program: Node, name: str, reserved: frozenset[str],
          render: Callable[[Node, dict[Node, str]], Text]) -> list[tuple[str, Node, Text]]:
    """Which nodes get a variable (named, shared, select/aggregate, long), in dependency order."""
    order, uses = _order(program)
    names = _Names(reserved)
    names.taken.add(name)
    variables: dict[Node, str] = {}
    statements: list[tuple[str, Node, Text]] = []
    for node in order:
        if node is program or node == program:
            continue
        text = render(node, variables)
        keep = isinstance(node, Select | Aggregate | AggregateBest | SelectorWidth) \
            or uses[node] > 1 \
            or bool(node.name) or len(text.text) > 60
        if _is_primitive(node) and text.level == ATOM:
            keep = False
        if isinstance(node, Full) and not node.name:
            keep = False
        if keep:
            var = names.claim(node.name, _invented(node))
            variables[node] = var
            statements.append((var, node, text))
    statements.append((name, program, render(program, variables)))
    return statements


# ------------------------------------------------------------------------- .rasp source ---
def _parser_encoding(node: SOp) -> Encoding | None:
    """The encoding the parser gives this node without a wrapper."""
    if isinstance(node, Causal):
        return node.encoding  # the inner s-op carries (and prints) it
    return CATEGORICAL if _is_primitive(node) or isinstance(node, AggregateBest) else None


_WRAPPERS = {NUMERICAL: "numerical", CATEGORICAL: "categorical", None: "unannotated"}


class _RaspRenderer:
    """Renders nodes as `.rasp` expressions; children with variables print as their names."""

    def __init__(self, strict: bool = True, depth_limit: int | None = None,
                 annotate: bool = True):
        self.strict = strict
        self.depth_limit = depth_limit
        self.annotate = annotate

    def fail(self, message: str) -> Text:
        if self.strict:
            raise UnprintableError(message)
        return Text(f"<{message}>", ATOM)

    def render(self, node: Node, variables: dict[Node, str], depth: int = 0) -> Text:
        text = self._bare(node, variables, depth)
        if isinstance(node, SOp) and node.encoding != _parser_encoding(node) and (
                self.annotate or node.encoding == NUMERICAL):
            wrapper = _WRAPPERS.get(node.encoding)
            if wrapper is None:
                return self.fail(f"unknown encoding {node.encoding!r}")
            text = Text(f"{wrapper}({text.text})", ATOM)
        return text

    def child(self, node: Node, variables: dict[Node, str], depth: int) -> Text:
        if node in variables:
            return Text(variables[node], ATOM)
        if not self.strict and node.name:  # messages refer to named parts by name
            return Text(node.name, ATOM)
        if self.depth_limit is not None and depth >= self.depth_limit:
            return Text(node.name or "...", ATOM)
        return self.render(node, variables, depth + 1)

    def operand(self, node: SOp, variables: dict[Node, str], depth: int) -> Text:
        """An s-op where select/aggregate accept an atom: a plain Full prints as its value."""
        if isinstance(node, Full) and node.encoding is None and node not in variables:
            try:
                return rasp_atom(node.value)
            except UnprintableError as exc:
                return self.fail(str(exc))
        return self.child(node, variables, depth)

    def atom(self, value: Any) -> Text:
        try:
            return rasp_atom(value)
        except UnprintableError as exc:
            return self.fail(str(exc))

    def _bare(self, node: Node, variables: dict[Node, str], depth: int) -> Text:
        if isinstance(node, TokensType):
            return Text("tokens", ATOM)
        if isinstance(node, IndicesType):
            return Text("indices", ATOM)
        if isinstance(node, LengthType):
            return Text("length", ATOM)
        if isinstance(node, Full):
            return Text(f"full({self.atom(node.value).text})", ATOM)
        if isinstance(node, Map | SequenceMap):
            args = (node.arg,) if isinstance(node, Map) else node.args
            return self.elementwise(node.fn, [self.child(a, variables, depth) for a in args])
        if isinstance(node, Aggregate):
            sel = self.child(node.selector, variables, depth).text
            sop = self.operand(node.sop, variables, depth).text
            return Text(f"aggregate({sel}, {sop}, {self.atom(node.default).text})", ATOM)
        if isinstance(node, AggregateBest):
            sel = self.child(node.selector, variables, depth).text
            parts = [sel, self.operand(node.sop, variables, depth).text]
            if node.score != node.sop:
                parts += [self.atom(node.default).text,
                          self.operand(node.score, variables, depth).text]
            elif node.default is not None:
                parts.append(self.atom(node.default).text)
            call = "aggregate_max" if node.maximise else "aggregate_min"
            return Text(f"{call}({', '.join(parts)})", ATOM)
        if isinstance(node, Causal):  # only in messages: source declares `causal;` instead
            return Text(f"causal({self.child(node.sop, variables, depth).text})", ATOM)
        if isinstance(node, SelectorWidth):
            return Text(f"selector_width({self.child(node.selector, variables, depth).text})",
                        ATOM)
        if isinstance(node, Select):
            keys = self.operand(node.keys, variables, depth).text
            queries = self.operand(node.queries, variables, depth).text
            return Text(f"select({keys}, {queries}, {self.predicate(node.predicate).text})", ATOM)
        if isinstance(node, SelectorAnd | SelectorOr):
            word = "and" if isinstance(node, SelectorAnd) else "or"
            left = self.child(node.left, variables, depth).at(LOGIC)
            right = self.child(node.right, variables, depth).at(LOGIC + 1)
            return Text(f"{left} {word} {right}", LOGIC)
        if isinstance(node, SelectorNot):
            return Text(f"not {self.child(node.inner, variables, depth).at(UNARY)}", UNARY)
        return self.fail(f"unknown node type {type(node).__name__}")

    # --- functions -------------------------------------------------------------------------
    def predicate(self, fn: Fn) -> Text:
        symbol = NAMED_PREDICATES.get(fn)
        if symbol is not None:
            return Text(symbol, ATOM)
        return self.fn_value(fn)

    def fn_value(self, fn: Fn) -> Text:
        """`fn("op", slot(0), 3)`: any element-wise function of named operation."""
        if fn.op not in OPS:
            what = f"Python function {fn.label or ''}".strip() if fn.op == "py" else \
                "lookup table on a slot other than the first"
            return self.fail(f"{what} cannot be written as .rasp source")
        parts = [f'"{fn.op}"'] + [f"slot({a.index})" if isinstance(a, Slot)
                                  else self.atom(a.value).text for a in fn.args]
        return Text(f"fn({', '.join(parts)})", ATOM)

    def elementwise(self, fn: Fn, args: list[Text]) -> Text:
        operands = [args[a.index] if isinstance(a, Slot) and a.index < len(args)
                    else None for a in fn.args]
        slots = [a.index for a in fn.args if isinstance(a, Slot)]
        canonical = slots == list(range(len(args))) and len(args) >= 1
        if canonical:
            text = self.canonical(fn, operands)
            if text is not None:
                return text
        if fn.op == "py" and not self.strict:
            return Text(f"{fn.label or 'fn'}({', '.join(a.text for a in args)})", ATOM)
        callee = self.fn_value(fn).text
        return Text(f"{callee}({', '.join(a.text for a in args)})", ATOM)

    def canonical(self, fn: Fn, operands: list[Text | None]) -> Text | None:
        """The operator form the parser turns back into exactly this Fn, if there is one."""
        def value(i: int) -> Text:
            got = operands[i]
            return got if got is not None else self.atom(fn.args[i].value)  # type: ignore[union-attr]

        op = fn.op
        if op in INFIX and len(fn.args) == 2:
            symbol, level = INFIX[op]
            return Text(f"{value(0).at(level)} {symbol} {value(1).at(level + 1)}", level)
        if op in PREFIX and len(fn.args) == 1:
            inner = value(0)
            text = inner.at(UNARY)
            sep = " " if PREFIX[op] in "-+" and text[:1] in "-+" else ""
            return Text(f"{PREFIX[op]}{sep}{text}", UNARY)
        if op in CALLS and len(fn.args) == 1:
            return Text(f"{op}({value(0).text})", ATOM)
        if op == "ifelse" and isinstance(fn.args[1], Slot):
            return Text(f"{value(0).at(TERNARY)} if {value(1).text} else {value(2).at(LOGIC)}",
                        TERNARY)
        if op == "in" and isinstance(fn.args[0], Slot) and isinstance(fn.args[1], Const) \
                and isinstance(fn.args[1].value, tuple | str):
            return Text(f"{value(0).at(IN)} in {value(1).at(TERNARY)}", IN)
        if op == "table" and fn.args == (Slot(0),):
            keys = [k for k, _ in fn.data]
            try:
                unique = len(set(keys)) == len(keys)
            except TypeError:
                unique = False
            if not unique:
                return None
            items = ", ".join(f"{self.atom(k).text}: {self.atom(v).text}" for k, v in fn.data)
            return Text(f"{{{items}}}[{value(0).text}]", ATOM)
        return None


def to_rasp(program: Node, name: str = "program", *, annotate: bool = True) -> str:
    """Readable `.rasp` source whose last statement assigns `program` to `name`.

    Selects, aggregates, shared and named nodes get variables (node names where set, else
    `sel_1`, `agg_2`, ...); small element-wise expressions are written inline. With
    `annotate=False` only `numerical(...)` wrappers are kept (shorter; the parse is then
    unannotated elsewhere, so equal in meaning under RASP's rules but not structurally).
    A causal program (a `Causal` node anywhere) begins with the declaration `causal;`.
    """
    if not _IDENT.match(name) or name in RESERVED:
        raise UnprintableError(f"{name!r} cannot name a program in .rasp source")
    header = ""
    if is_causal(program):
        header, program = "causal;\n", uncausal(program)
    renderer = _RaspRenderer(strict=True, annotate=annotate)
    statements = _plan(program, name, RESERVED, renderer.render)
    return header + "".join(f"{var} = {text.text};\n" for var, _, text in statements)


def to_rasp_expr(node: Node, depth_limit: int = 6) -> str:
    """One node as a single `.rasp`-like expression (for messages; never raises).

    Named sub-programs appear by name, and nesting deeper than `depth_limit` as `...`.
    """
    try:
        renderer = _RaspRenderer(strict=False, depth_limit=depth_limit, annotate=False)
        return renderer.render(node, {}).text
    except Exception:  # a description must never fail
        return type(node).__name__


# -------------------------------------------------------------------------------- Python ---
PY_RESERVED = frozenset(keyword.kwlist) | frozenset("""tokens indices length Map SequenceMap
    Aggregate AggregateBest Causal causal aggregate_max aggregate_min
    Select SelectorWidth SelectorAnd SelectorOr SelectorNot Full Fn Slot Const EQ NE LT
    LE GT GE TRUE FALSE NUMERICAL CATEGORICAL numerical categorical float""".split())
_PY_PREDICATES = {EQ: "EQ", NE: "NE", LT: "LT", LE: "LE", GT: "GT", GE: "GE", TRUE: "TRUE",
                  FALSE: "FALSE"}
_PY_ENCODINGS = {NUMERICAL: "NUMERICAL", CATEGORICAL: "CATEGORICAL", None: "None"}


def python_literal(value: Any) -> str:
    """A constant as Python source."""
    value = _plain(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return f'float("{value}")'
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise UnprintableError(f"constant {value!r} of type {type(value).__name__} has no Python form")


def _python_fn(fn: Fn) -> str:
    known = _PY_PREDICATES.get(fn)
    if known is not None:
        return known
    if fn.op == "py":
        raise UnprintableError(f"Python function {fn.label or ''} cannot be written as source")
    args = ", ".join(f"Slot({a.index})" if isinstance(a, Slot)
                     else f"Const({python_literal(a.value)})" for a in fn.args)
    args = f"({args},)" if len(fn.args) == 1 else f"({args})"
    data = "" if fn.data is None else f", data={python_literal(fn.data)}"
    return f'Fn("{fn.op}", {args}{data})'


def _python_expr(node: Node, variables: dict[Node, str]) -> Text:
    def c(child: Node) -> str:
        return variables.get(child) or _python_expr(child, variables).text

    def enc(default: Any = CATEGORICAL) -> str:
        e = node.encoding  # type: ignore[union-attr]
        return "" if e == default else f", encoding={_PY_ENCODINGS[e]}"

    if isinstance(node, TokensType | IndicesType | LengthType):
        base = {TokensType: "tokens", IndicesType: "indices", LengthType: "length"}[type(node)]
        text = base if node.encoding == CATEGORICAL else \
            f"{base}.annotated({_PY_ENCODINGS[node.encoding]})"
    elif isinstance(node, Full):
        text = f"Full({python_literal(node.value)}{enc()})"
    elif isinstance(node, Map):
        text = f"Map({_python_fn(node.fn)}, {c(node.arg)}{enc()})"
    elif isinstance(node, SequenceMap):
        text = f"SequenceMap({_python_fn(node.fn)}, {', '.join(c(a) for a in node.args)}{enc()})"
    elif isinstance(node, Aggregate):
        text = (f"Aggregate({c(node.selector)}, {c(node.sop)}, "
                f"default={python_literal(node.default)}, "
                f"encoding={_PY_ENCODINGS[node.encoding]})")
    elif isinstance(node, AggregateBest):
        call = "aggregate_max" if node.maximise else "aggregate_min"
        extra = "" if node.default is None else f", default={python_literal(node.default)}"
        if node.score != node.sop:
            extra += f", score={c(node.score)}"
        text = f"{call}({c(node.selector)}, {c(node.sop)}{extra})"
        if node.encoding != CATEGORICAL:
            text += f".annotated({_PY_ENCODINGS[node.encoding]})"
    elif isinstance(node, Causal):
        # causal() of a Causal is that Causal; the constructor keeps a doubled marker exact
        text = f"{'Causal' if isinstance(node.sop, Causal) else 'causal'}({c(node.sop)})"
    elif isinstance(node, SelectorWidth):
        text = f"SelectorWidth({c(node.selector)}{enc()})"
    elif isinstance(node, Select):
        text = f"Select({c(node.keys)}, {c(node.queries)}, {_python_fn(node.predicate)})"
    elif isinstance(node, SelectorAnd | SelectorOr):
        text = f"{type(node).__name__}({c(node.left)}, {c(node.right)})"
    elif isinstance(node, SelectorNot):
        text = f"SelectorNot({c(node.inner)})"
    else:
        raise UnprintableError(f"unknown node type {type(node).__name__}")
    if node.name:
        text += f".named({node.name!r})"
    return Text(text, ATOM)


def to_python(program: Node, name: str = "program") -> str:
    """The program in the Python embedding; `exec` of the text binds `name` to an equal program."""
    if not _IDENT.match(name) or name in PY_RESERVED:
        raise UnprintableError(f"{name!r} cannot name a program in Python")
    statements = _plan(program, name, PY_RESERVED, _python_expr)
    lines = ["from rasplab.lang import *", ""]
    lines += [f"{var} = {text.text}" for var, _, text in statements]
    return "\n".join(lines) + "\n"


__all__ = ["to_rasp", "to_rasp_expr", "to_python", "UnprintableError", "rasp_atom"]

# the s-expression printer lives in sexpr.py; re-exported so all printers import from one place
from rasplab.lang.sexpr import from_sexpr, to_sexpr  # noqa: E402

__all__ += ["to_sexpr", "from_sexpr"]

# error messages name unnamed nodes by their RASP source
set_node_renderer(to_rasp_expr)
