"""Programs as s-expressions in Stitch's format, for library learning (Stitch compression).

The encoding is a tree of applications (a DAG's shared sub-programs are repeated) and reversible:
``from_sexpr(to_sexpr(p)) == p`` for every program without opaque Python functions.

Grammar (heads are plain symbols; strings are quoted with JSON escapes, and spaces and
parentheses inside them are escaped as ``\\u0020 \\u0028 \\u0029`` for Stitch's tokenizer)::

    sop   := tokens | indices | length                      built-ins
           | LIT                                            Full(LIT) where an s-op is expected
           | (full LIT)                                     Full, inside element-wise applications
           | (OP arg ...)                                   Map/SequenceMap of op(arg, ...): each
                                                            s-op argument fills the next slot,
                                                            each literal is a constant
           | (table sop k1 v1 k2 v2 ...)                    lookup-table Map
           | (map FN sop) | (seqmap FN sop sop ...)         any other element-wise function
           | (aggregate sel sop [DEFAULT])                  DEFAULT only when not the usual one
           | (aggregate_max sel sop DEFAULT sop)            best-value aggregates: sop at the
           | (aggregate_min sel sop DEFAULT sop)            selected key of best score (last)
           | (causal sop)                                   the whole program evaluated causally
           | (selector_width sel)
           | (numerical sop) | (categorical sop) | (unannotated sop)
                                                            an encoding that is not the node's usual
    sel   := (select sop sop PRED) | (and sel sel) | (or sel sel) | (not sel)
    PRED  := eq | ne | lt | le | gt | ge | true | false | <any OP of two slots> | FN
    FN    := (fn OP A ...) | (fn table A (entries k1 v1 ...))   A: %i (slot i) or a literal
    LIT   := 3 | -1 | 0.5 | 1e999 | nan | "text" | True | False | None
           | (tuple LIT ...) | (list LIT ...)

An s-op without a wrapper has the encoding that `.rasp` source gives it: categorical for the
built-ins, None (unannotated: the original interpreter's rules) for everything else. An
aggregate's usual default is 0, or None when it is categorical (as `Aggregate` fills it in).
Stitch's rewritten programs read back with `from_sexpr(text, result.abstractions)`.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable, Mapping

from rasplab.errors import CompileError, RaspSyntaxError, describe_node
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
    Selector,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    SOp,
    TokensType,
)
from rasplab.lang.functions import OPS, Const, Fn, Slot

__all__ = ["to_sexpr", "from_sexpr", "parse_sexpr", "inline_abstractions", "USUAL_ENCODING"]

#: the encoding an s-op gets when its s-expression carries no annotation wrapper
USUAL_ENCODING: dict[type, Encoding | None] = {TokensType: CATEGORICAL, IndicesType: CATEGORICAL,
                                               LengthType: CATEGORICAL, AggregateBest: CATEGORICAL}
_WRAPPERS: dict[str, Encoding | None] = {"numerical": NUMERICAL, "categorical": CATEGORICAL,
                                         "unannotated": None}
_WRAPPER_OF = {v: k for k, v in _WRAPPERS.items()}
_BUILTINS: dict[str, type] = {"tokens": TokensType, "indices": IndicesType, "length": LengthType}
_SELECTOR_OPS = {"and": SelectorAnd, "or": SelectorOr}
_STRING_ESCAPES = {" ": "\\u0020", "(": "\\u0028", ")": "\\u0029"}


# ------------------------------------------------------------------------------- printing ---
def _literal(value: Any, where: Node) -> str:
    """A constant as an s-expression atom (or a (tuple ...)/(list ...) form)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return repr(float(value))
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, tuple | list):
        head = "tuple" if isinstance(value, tuple) else "list"
        return "(" + " ".join([head] + [_literal(v, where) for v in value]) + ")"
    raise CompileError(f"cannot write constant {value!r} of type {type(value).__name__} as an "
                       f"s-expression, at {describe_node(where)}")


def _quote(text: str) -> str:
    """A string literal that Stitch's tokenizer keeps in one piece (no spaces or parentheses)."""
    return "".join(_STRING_ESCAPES.get(c, c) for c in json.dumps(text, ensure_ascii=True))


def _fn_arg(arg: Slot | Const, where: Node) -> str:
    return f"%{arg.index}" if isinstance(arg, Slot) else _literal(arg.value, where)


def _check_fn(fn: Fn, where: Node) -> None:
    if fn.op == "py":
        raise CompileError(f"cannot write an opaque Python function ({fn.label or 'lambda'}) as an "
                           f"s-expression, at {describe_node(where)}; use a symbolic Fn instead")
    if fn.op != "table" and fn.data is not None:
        raise CompileError(f"element-wise operation {fn.op!r} carries data; only tables may, "
                           f"at {describe_node(where)}")


def _entries(fn: Fn, where: Node) -> list[str]:
    return [_literal(x, where) for pair in fn.data for x in pair]


def _fn(fn: Fn, where: Node) -> str:
    """The general form of an element-wise function: (fn OP %0 "a" ...)."""
    _check_fn(fn, where)
    parts = ["fn", fn.op] + [_fn_arg(a, where) for a in fn.args]
    if fn.op == "table":
        parts.append("(" + " ".join(["entries"] + _entries(fn, where)) + ")")
    return "(" + " ".join(parts) + ")"


def _direct(fn: Fn, n_args: int) -> bool:
    """Whether `fn` over `n_args` s-ops can be written as a plain application (OP arg ...)."""
    if fn.op not in OPS or fn.data is not None:
        return False
    slots = [a.index for a in fn.args if isinstance(a, Slot)]
    return n_args >= 1 and slots == list(range(n_args))


class _Printer:
    """Writes nodes, remembering each node's text so shared sub-programs are written once."""

    def __init__(self, annotations: bool = True) -> None:
        self.memo: dict[int, str] = {}
        self.annotations = annotations

    def sop_arg(self, node: SOp) -> str:
        """An s-op where a bare literal means Full (select sides, aggregated value)."""
        if type(node) is Full and (node.encoding is USUAL_ENCODING.get(Full)
                                   or not self.annotations):
            return _literal(node.value, node)
        return self.node(node)

    def node(self, node: Node) -> str:
        text = self.memo.get(id(node))
        if text is None:
            text = self.memo[id(node)] = self._node(node)
        return text

    def _node(self, node: Node) -> str:
        body = self._body(node)
        if isinstance(node, SOp) and self.annotations and not isinstance(node, Causal):
            usual = USUAL_ENCODING.get(type(node))
            if node.encoding != usual:
                if node.encoding not in _WRAPPER_OF:
                    raise CompileError(f"unknown encoding {node.encoding!r} at "
                                       f"{describe_node(node)}")
                body = f"({_WRAPPER_OF[node.encoding]} {body})"
        return body

    def _body(self, node: Node) -> str:
        if type(node) in (TokensType, IndicesType, LengthType):
            return {TokensType: "tokens", IndicesType: "indices", LengthType: "length"}[type(node)]
        if isinstance(node, Full):
            return f"(full {_literal(node.value, node)})"
        if isinstance(node, Map | SequenceMap):
            args = (node.arg,) if isinstance(node, Map) else node.args
            fn = node.fn
            _check_fn(fn, node)
            if _direct(fn, len(args)):
                parts = [fn.op] + [self.node(args[a.index]) if isinstance(a, Slot)
                                   else _literal(a.value, node) for a in fn.args]
                return "(" + " ".join(parts) + ")"
            if isinstance(node, Map) and fn.op == "table" and fn.args == (Slot(0),):
                return "(" + " ".join(["table", self.node(node.arg)] + _entries(fn, node)) + ")"
            head = "map" if isinstance(node, Map) else "seqmap"
            return "(" + " ".join([head, _fn(fn, node)] + [self.node(a) for a in args]) + ")"
        if isinstance(node, Aggregate):
            parts = ["aggregate", self.node(node.selector), self.sop_arg(node.sop)]
            usual = None if node.encoding == CATEGORICAL and self.annotations else 0
            if not (type(node.default) is type(usual) and node.default == usual):
                parts.append(_literal(node.default, node))
            return "(" + " ".join(parts) + ")"
        if isinstance(node, AggregateBest):
            head = "aggregate_max" if node.maximise else "aggregate_min"
            return (f"({head} {self.node(node.selector)} {self.sop_arg(node.sop)} "
                    f"{_literal(node.default, node)} {self.sop_arg(node.score)})")
        if isinstance(node, Causal):
            return f"(causal {self.node(node.sop)})"
        if isinstance(node, SelectorWidth):
            return f"(selector_width {self.node(node.selector)})"
        if isinstance(node, Select):
            pred = node.predicate
            _check_fn(pred, node)
            simple = pred.op in OPS and pred.data is None and pred.args == (Slot(0), Slot(1))
            return (f"(select {self.sop_arg(node.keys)} {self.sop_arg(node.queries)} "
                    f"{pred.op if simple else _fn(pred, node)})")
        if isinstance(node, SelectorAnd | SelectorOr):
            head = "and" if isinstance(node, SelectorAnd) else "or"
            return f"({head} {self.node(node.left)} {self.node(node.right)})"
        if isinstance(node, SelectorNot):
            return f"(not {self.node(node.inner)})"
        raise CompileError(f"cannot write node of type {type(node).__name__} as an s-expression")


def to_sexpr(program: Node, *, annotations: bool = True) -> str:
    """The program as one s-expression (Stitch's format); raises CompileError for opaque Python.

    `annotations=False` leaves out every encoding wrapper, so programs from the Python embedding
    and from `.rasp` source share their shapes in a corpus; reading such text back gives the
    source form (unannotated), which is then no longer the same program.
    """
    return _Printer(annotations).node(program)


# -------------------------------------------------------------------------------- reading ---
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([()])|([^\s()"]+))')
_INT = re.compile(r"[-+]?\d+\Z")
_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][-+]?\d+|\d+\.\d*[eE][-+]?\d+)\Z")


class _Str(str):
    """A quoted string atom (kept apart from symbols)."""


class _Sym(str):
    """A bare symbol atom, remembering its column for error messages."""

    column: int


def parse_sexpr(text: str) -> Any:
    """Parse s-expression text into nested lists of symbols and quoted strings."""
    pos, stack = 0, [[]]
    starts: list[int] = []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise RaspSyntaxError("unterminated string", "<sexpr>", 1, pos + 1)
        string, paren, atom = m.groups()
        col = m.start(m.lastindex or 0) + 1
        pos = m.end()
        if paren == "(":
            stack.append([])
            starts.append(col)
        elif paren == ")":
            if len(stack) == 1:
                raise RaspSyntaxError("unbalanced ')'", "<sexpr>", 1, col)
            done = stack.pop()
            starts.pop()
            stack[-1].append(done)
        elif string is not None:
            try:
                stack[-1].append(_Str(json.loads(string)))
            except json.JSONDecodeError as exc:
                raise RaspSyntaxError(f"bad string {string}: {exc.msg}", "<sexpr>", 1,
                                      col) from None
        else:
            sym = _Sym(atom)
            sym.column = col
            stack[-1].append(sym)
    if len(stack) > 1:
        raise RaspSyntaxError("missing ')'", "<sexpr>", 1, starts[-1])
    if len(stack[0]) != 1:
        what = "empty s-expression" if not stack[0] else "more than one s-expression"
        raise RaspSyntaxError(what, "<sexpr>", 1, 1)
    return stack[0][0]


_NO_LITERAL: Any = object()


def _as_literal(tree: Any) -> Any:
    """The constant a tree denotes, or _NO_LITERAL when it is not a literal."""
    if isinstance(tree, _Str):
        return str(tree)
    if isinstance(tree, list):
        if tree and tree[0] in ("tuple", "list") and isinstance(tree[0], _Sym):
            items = [_as_literal(t) for t in tree[1:]]
            if any(i is _NO_LITERAL for i in items):
                raise _error("a tuple or list may hold only literals", tree)
            return tuple(items) if tree[0] == "tuple" else items
        return _NO_LITERAL
    if tree in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[tree]
    if _INT.match(tree):
        return int(tree)
    if tree == "nan" or _FLOAT.match(tree):
        return float(tree)
    return _NO_LITERAL


def _column(tree: Any) -> int | None:
    while isinstance(tree, list) and tree:
        tree = tree[0]
    return getattr(tree, "column", None)


def _show(tree: Any) -> str:
    if isinstance(tree, list):
        return "(" + " ".join(_show(t) for t in tree) + ")"
    return _quote(str(tree)) if isinstance(tree, _Str) else str(tree)


def _error(message: str, tree: Any) -> RaspSyntaxError:
    shown = _show(tree)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return RaspSyntaxError(f"{message}: {shown}", "<sexpr>", 1, _column(tree))


def _head(tree: Any) -> str | None:
    if isinstance(tree, list) and tree and isinstance(tree[0], _Sym):
        return str(tree[0])
    return None


def _arity(tree: list, n: int | tuple[int, int]) -> None:
    lo, hi = (n, n) if isinstance(n, int) else n
    if not lo <= len(tree) - 1 <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        raise _error(f"'{tree[0]}' takes {want} arguments, got {len(tree) - 1}", tree)


def _read_fn(tree: Any) -> Fn:
    """(fn OP A ...) or (fn table A ... (entries k v ...))."""
    if _head(tree) != "fn" or len(tree) < 2:
        raise _error("expected a function (fn OP ARG ...)", tree)
    op, rest, data = str(tree[1]), list(tree[2:]), None
    if op == "table":
        if not rest or _head(rest[-1]) != "entries":
            raise _error("a table function ends with (entries k1 v1 ...)", tree)
        data = _read_entries(rest.pop()[1:], tree)
    elif op not in OPS:
        raise _error(f"unknown element-wise operation {op!r}", tree)
    args: list[Slot | Const] = []
    for a in rest:
        if isinstance(a, _Sym) and a.startswith("%") and a[1:].isdigit():
            args.append(Slot(int(a[1:])))
        else:
            value = _as_literal(a)
            if value is _NO_LITERAL:
                raise _error("a function argument is a slot %i or a literal", a)
            args.append(Const(value))
    return Fn(op, tuple(args), data=data)


def _read_entries(items: list, where: Any) -> tuple:
    if len(items) % 2:
        raise _error("table entries come in key-value pairs", where)
    values = [_as_literal(t) for t in items]
    if any(v is _NO_LITERAL for v in values):
        raise _error("table keys and values are literals", where)
    return tuple(zip(values[0::2], values[1::2]))


class _Reader:
    """Builds program nodes from parsed trees (equal sub-trees give structurally equal nodes)."""

    def sop(self, tree: Any, encoding: Any = "usual") -> SOp:
        value = _as_literal(tree)
        if value is not _NO_LITERAL:
            return Full(value, encoding=self._enc(Full, encoding))
        node = self.node(tree, encoding)
        if not isinstance(node, SOp):
            raise _error("expected an s-op, found a selector", tree)
        return node

    def selector(self, tree: Any) -> Selector:
        node = self.node(tree) if _as_literal(tree) is _NO_LITERAL else None
        if not isinstance(node, Selector):
            raise _error("expected a selector", tree)
        return node

    def node(self, tree: Any, encoding: Any = "usual") -> Node:
        if isinstance(tree, _Str):
            raise _error("a string literal is not a program", tree)
        if not isinstance(tree, list):
            cls = _BUILTINS.get(str(tree))
            if cls is None:
                raise _error("unknown name", tree)
            return cls(encoding=self._enc(cls, encoding))
        if not tree:
            raise _error("empty application", tree)
        head = _head(tree)
        if head is None:
            raise _error("an application starts with a symbol", tree)
        if head in _WRAPPERS:
            _arity(tree, 1)
            return self.sop(tree[1], _WRAPPERS[head])
        build = getattr(self, "_" + head, None) if head in _FORMS else None
        if build is not None:
            node = build(tree, encoding)
        elif head in OPS:
            node = self._apply(tree, encoding)
        else:
            raise _error(f"unknown operation {head!r}", tree)
        return node

    # --- forms ---------------------------------------------------------------------------
    def _enc(self, node_type: type, encoding: Any) -> Encoding | None:
        return USUAL_ENCODING.get(node_type) if encoding == "usual" else encoding

    def _full(self, tree: list, encoding: Any) -> SOp:
        _arity(tree, 1)
        value = _as_literal(tree[1])
        if value is _NO_LITERAL:
            raise _error("(full LITERAL) takes a literal", tree)
        return Full(value, encoding=self._enc(Full, encoding))

    def _apply(self, tree: list, encoding: Any) -> Node:
        head = str(tree[0])
        parts = []
        for t in tree[1:]:
            value = _as_literal(t)
            parts.append(Const(value) if value is not _NO_LITERAL else self.node(t))
        nodes = [p for p in parts if isinstance(p, Node)]
        if head in ("and", "or", "not") and nodes and all(isinstance(p, Selector) for p in nodes):
            if len(parts) != len(nodes) or len(nodes) != (1 if head == "not" else 2):
                raise _error(f"selector '{head}' takes {1 if head == 'not' else 2} selectors",
                             tree)
            if head == "not":
                return SelectorNot(nodes[0])
            return _SELECTOR_OPS[head](nodes[0], nodes[1])
        if any(isinstance(p, Selector) for p in nodes):
            raise _error(f"'{head}' applies to s-ops, not selectors", tree)
        if not nodes:
            raise _error(f"'{head}' needs at least one s-op argument", tree)
        args: list[Slot | Const] = []
        for p in parts:  # each s-op fills the next slot, in order of appearance
            args.append(Slot(sum(isinstance(a, Slot) for a in args)) if isinstance(p, Node) else p)
        fn = Fn(head, tuple(args))
        enc = self._enc(Map, encoding)
        if len(nodes) == 1:
            return Map(fn, nodes[0], encoding=enc)
        return SequenceMap(fn, *nodes, encoding=enc)

    def _table(self, tree: list, encoding: Any) -> SOp:
        if len(tree) < 2:
            raise _error("(table SOP k1 v1 ...) needs an s-op", tree)
        fn = Fn("table", (Slot(0),), data=_read_entries(tree[2:], tree))
        return Map(fn, self.sop(tree[1]), encoding=self._enc(Map, encoding))

    def _map(self, tree: list, encoding: Any) -> SOp:
        _arity(tree, 2)
        return Map(_read_fn(tree[1]), self.sop(tree[2]), encoding=self._enc(Map, encoding))

    def _seqmap(self, tree: list, encoding: Any) -> SOp:
        if len(tree) < 4:
            raise _error("(seqmap FN SOP SOP ...) needs at least two s-ops", tree)
        return SequenceMap(_read_fn(tree[1]), *(self.sop(t) for t in tree[2:]),
                           encoding=self._enc(SequenceMap, encoding))

    def _aggregate(self, tree: list, encoding: Any) -> SOp:
        _arity(tree, (2, 3))
        enc = self._enc(Aggregate, encoding)
        sel, sop = self.selector(tree[1]), self.sop(tree[2])
        if len(tree) == 4:
            default = _as_literal(tree[3])
            if default is _NO_LITERAL:
                raise _error("an aggregate's default is a literal", tree[3])
            return Aggregate(sel, sop, default, encoding=enc)
        return Aggregate(sel, sop, encoding=enc)

    def _best(self, tree: list, encoding: Any, maximise: bool) -> SOp:
        _arity(tree, (2, 4))
        default = None
        if len(tree) > 3:
            default = _as_literal(tree[3])
            if default is _NO_LITERAL:
                raise _error("a best aggregate's default is a literal", tree[3])
        score = self.sop(tree[4]) if len(tree) > 4 else None
        return AggregateBest(self.selector(tree[1]), self.sop(tree[2]), score, default, maximise,
                             encoding=self._enc(AggregateBest, encoding))

    def _aggregate_max(self, tree: list, encoding: Any) -> SOp:
        return self._best(tree, encoding, True)

    def _aggregate_min(self, tree: list, encoding: Any) -> SOp:
        return self._best(tree, encoding, False)

    def _causal(self, tree: list, encoding: Any) -> SOp:
        _arity(tree, 1)
        return Causal(self.sop(tree[1], encoding))

    def _selector_width(self, tree: list, encoding: Any) -> SOp:
        _arity(tree, 1)
        return SelectorWidth(self.selector(tree[1]), encoding=self._enc(SelectorWidth, encoding))

    def _select(self, tree: list, encoding: Any) -> Selector:
        _arity(tree, 3)
        pred = tree[3]
        if isinstance(pred, _Sym):
            if str(pred) not in OPS:
                raise _error("unknown select predicate", pred)
            fn = Fn(str(pred), (Slot(0), Slot(1)))
        else:
            fn = _read_fn(pred)
        return Select(self.sop(tree[1]), self.sop(tree[2]), fn)


_FORMS = {"full", "table", "map", "seqmap", "aggregate", "aggregate_max", "aggregate_min",
          "causal", "selector_width", "select"}


def from_sexpr(text: str, abstractions: Mapping[str, str] | Iterable[Any] | None = None) -> Node:
    """The program an s-expression denotes; raises RaspSyntaxError naming the bad sub-term.

    `abstractions` (name -> body with metavariables #0, #1, ..., or Stitch's result
    `.abstractions`) are inlined first, so Stitch's rewritten programs read back directly.
    """
    tree = parse_sexpr(text)
    if abstractions:
        tree = _Inliner(abstractions).expand(tree)
    return _Reader().node(tree)


def inline_abstractions(text: str, abstractions: Mapping[str, str] | Iterable[Any]) -> str:
    """A Stitch-rewritten s-expression with its abstractions (`fn_0 ...`) inlined."""
    return _show(_Inliner(abstractions).expand(parse_sexpr(text)))


_METAVAR = re.compile(r"#(\d+)\Z")


class _Inliner:
    """Replaces applications of learned abstractions by their bodies (first argument is #0)."""

    def __init__(self, abstractions: Mapping[str, str] | Iterable[Any]):
        items = (abstractions.items() if isinstance(abstractions, Mapping)
                 else ((a.name, a.body) for a in abstractions))
        self.bodies: dict[str, tuple[int, Any]] = {}
        for name, body in items:
            tree = parse_sexpr(str(body))
            holes = [int(m.group(1)) for t in _atoms(tree)
                     if isinstance(t, _Sym) and (m := _METAVAR.match(t))]
            self.bodies[str(name)] = (1 + max(holes, default=-1), tree)

    def expand(self, tree: Any) -> Any:
        if isinstance(tree, _Sym) and str(tree) in self.bodies:
            return self._apply(tree, [])
        if not isinstance(tree, list) or not tree:
            return tree
        args = [self.expand(t) for t in tree[1:]]
        if isinstance(tree[0], _Sym) and str(tree[0]) in self.bodies:
            return self._apply(tree[0], args)
        return [self.expand(tree[0])] + args

    def _apply(self, name: _Sym, args: list) -> Any:
        arity, body = self.bodies[str(name)]
        if len(args) < arity:
            raise _error(f"abstraction {name} takes {arity} arguments, got {len(args)}",
                         [name] + args)
        out = self.expand(_substitute(body, args[:arity]))
        extra = args[arity:]
        if not extra:
            return out
        return (out if isinstance(out, list) else [out]) + extra


def _atoms(tree: Any) -> Iterable[Any]:
    if isinstance(tree, list):
        for t in tree:
            yield from _atoms(t)
    else:
        yield tree


def _substitute(tree: Any, args: list) -> Any:
    if isinstance(tree, list):
        return [_substitute(t, args) for t in tree]
    m = _METAVAR.match(tree) if isinstance(tree, _Sym) else None
    return args[int(m.group(1))] if m else tree
