"""The `.rasp` front end: parses the original RASP interpreter's syntax into program nodes.

The parser interprets RASP's meta-language: atoms (numbers, strings, lists, dicts) are computed
eagerly in Python, while s-op and selector expressions build unannotated `rasplab.lang.ast` nodes.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import lark
from lark import Token, Tree

from rasplab.errors import RaspNameError, RaspSyntaxError
from rasplab.lang.ast import (
    CATEGORICAL,
    NUMERICAL,
    Aggregate,
    AggregateBest,
    Full,
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
    causal,
    indices,
    length,
    tokens,
)
from rasplab.lang.evaluator import evaluate
from rasplab.lang.functions import (
    EQ,
    FALSE,
    GE,
    GT,
    LE,
    LT,
    NE,
    OPS,
    SLOT0,
    TRUE,
    Const,
    Fn,
    Slot,
    _freeze,
    binary,
    unary,
)

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")
STDLIB_DIR = Path(__file__).with_name("stdlib")
PRELUDE_PATH = STDLIB_DIR / "rasplib.rasp"

#: the source symbol of each binary operator and the element-wise operation it builds
BINARY_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "^": "pow",
              "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
              "and": "and", "or": "or"}
UNARY_OPS = {"-": "neg", "+": "pos", "not": "not", "round": "round", "indicator": "indicator"}
#: select predicates written as operator symbols
PREDICATES = {"==": EQ, "!=": NE, "<": LT, "<=": LE, ">": GT, ">=": GE}
#: element-wise conversions callable by name on atoms (eagerly) and on s-ops (as Maps)
CONVERSIONS = ("int", "float", "str", "bool", "abs", "floor")
ATOM_TYPES = (int, float, str, bool, type(None), list, tuple, dict)


# ------------------------------------------------------------------------------- results ---
@dataclass
class Program:
    """What parsing a `.rasp` file produced: its top-level names, in order, and their values."""

    env: dict[str, Any]
    names: list[str]
    last: SOp | None
    last_node: Node | None = None
    file: str | None = None
    base: "Scope | None" = field(default=None, repr=False)
    #: the file declared `causal;`: its s-ops (in env, last, last_node) come wrapped in Causal
    causal: bool = False

    def __getitem__(self, name: str) -> Any:
        if name in self.env:
            return self.env[name]
        if self.base is not None and self.base.has(name):
            value = self.base.lookup(name)  # a library name, seen from a causal file: causal
            return causal(value) if self.causal and isinstance(value, SOp) else value
        raise RaspNameError(f"{self.file or '<source>'}: no name {name!r} in the program")

    def __contains__(self, name: str) -> bool:
        return name in self.env or (self.base is not None and self.base.has(name))


class Scope:
    """A chain of name tables: a function body's locals, its file, the prelude, the built-ins."""

    def __init__(self, parent: "Scope | None" = None, names: dict[str, Any] | None = None):
        self.parent = parent
        self.vars: dict[str, Any] = dict(names or {})

    def has(self, name: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return True
            scope = scope.parent
        return False

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        raise KeyError(name)


@dataclass(frozen=True)
class Where:
    """A source location, for error messages."""

    file: str | None
    line: int | None
    column: int | None

    def error(self, message: str) -> RaspSyntaxError:
        return RaspSyntaxError(message, self.file, self.line, self.column)

    def name_error(self, message: str) -> RaspNameError:
        where = ":".join(str(p) for p in (self.file or "<source>", self.line, self.column)
                         if p is not None)
        return RaspNameError(f"{where}: {message}")


class _Fail(Exception):
    """Raised inside built-ins; the interpreter turns it into a located RaspSyntaxError."""


@dataclass
class Function:
    """A `def`: parameters, body and the scope it closes over."""

    name: str
    params: list[str]
    body: Tree
    closure: Scope
    file: str | None

    def __repr__(self) -> str:
        return f"<function {self.name}({', '.join(self.params)})>"


@dataclass
class Builtin:
    """A function implemented in Python; `fn(*args)` raises _Fail with a plain message."""

    name: str
    fn: Callable[..., Any]
    arity: tuple[int, int]

    def __repr__(self) -> str:
        return f"<built-in {self.name}>"


# --------------------------------------------------------------------------- the grammar ---
@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    # cache=True keeps lark's LALR tables in a temp file: half a second off every later start
    try:
        return lark.Lark(GRAMMAR_PATH.read_text(), parser="lalr", propagate_positions=True,
                         maybe_placeholders=True, cache=True)
    except OSError:  # no writable temp folder
        return lark.Lark(GRAMMAR_PATH.read_text(), parser="lalr", propagate_positions=True,
                         maybe_placeholders=True)


_TOKEN_NAMES = {"SEMICOLON": "';'", "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['",
                "RBRACE": "'}'", "LBRACE": "'{'", "COMMA": "','", "EQUAL": "'='",
                "COLON": "':'", "NAME": "a name", "INT": "a number", "FLOAT": "a number",
                "STRING": "a string", "COMP_OP": "a comparison", "ADD_OP": "'+'/'-'",
                "MUL_OP": "'*'/'/'", "MOD_OP": "'%'", "POW_OP": "'^'", "$END": "end of file"}


def _describe_expected(expected: set[str]) -> str:
    shown = sorted({_TOKEN_NAMES.get(e, repr(e.lower())) for e in expected})
    if len(shown) > 8:
        shown = shown[:8] + ["..."]
    return ", ".join(shown)


def _syntax_tree(source: str, file: str | None) -> Tree:
    try:
        return _lark().parse(source)
    except lark.exceptions.UnexpectedCharacters as exc:
        char = source[exc.pos_in_stream]
        message = ("unterminated string (a string ends with '\"' on the same line)" if char == '"'
                   else f"unexpected character {char!r}")
        raise RaspSyntaxError(message, file, exc.line, exc.column) from None
    except lark.exceptions.UnexpectedEOF as exc:
        lines = source.splitlines() or [""]
        expected = _describe_expected(set(exc.expected))
        raise RaspSyntaxError(f"unexpected end of file (expected {expected})",
                              file, len(lines), len(lines[-1]) + 1) from None
    except lark.exceptions.UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            lines = source.splitlines() or [""]
            raise RaspSyntaxError(
                f"unexpected end of file (expected {_describe_expected(exc.expected)})",
                file, len(lines), len(lines[-1]) + 1) from None
        raise RaspSyntaxError(
            f"unexpected {str(tok)!r} (expected {_describe_expected(exc.expected)})", file,
            tok.line, tok.column) from None


# ---------------------------------------------------------------------------- built-ins ---
def _is_atom(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_is_atom(v) for v in value)
    if isinstance(value, dict):
        return all(_is_atom(k) and _is_atom(v) for k, v in value.items())
    return isinstance(value, ATOM_TYPES)


def kind(value: Any) -> str:
    """The RASP-level kind of a value, for messages."""
    if isinstance(value, SOp):
        return "an s-op"
    if isinstance(value, Selector):
        return "a selector"
    if isinstance(value, Function | Builtin):
        return "a function"
    if isinstance(value, Fn):
        return "an element-wise function"
    if isinstance(value, Slot):
        return "a slot"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a dict"
    return type(value).__name__


def _const(value: Any) -> Const:
    return Const(_freeze(value))


def as_sop(value: Any, role: str) -> SOp:
    """An s-op argument: atoms become constant s-ops (`select(indices, 0, ==)`)."""
    if isinstance(value, SOp):
        return value
    if _is_atom(value) and not isinstance(value, dict):
        return Full(_freeze(value), encoding=None)
    raise _Fail(f"{role} must be an s-op or an atom, got {kind(value)}")


def _select(keys: Any, queries: Any, predicate: Any) -> Select:
    if not isinstance(predicate, Fn):
        raise _Fail("select's third argument must be a comparison such as ==, "
                    f"got {kind(predicate)}")
    return Select(as_sop(keys, "select's keys"), as_sop(queries, "select's queries"), predicate)


def _aggregate(selector: Any, sop: Any, default: Any = 0) -> Aggregate:
    if not isinstance(selector, Selector):
        raise _Fail(f"aggregate needs a selector as its first argument, got {kind(selector)}")
    if isinstance(default, SOp | Selector) or not _is_atom(default):
        raise _Fail(f"aggregate's default must be an atom, got {kind(default)}")
    return Aggregate(selector, as_sop(sop, "aggregate's s-op"), _freeze(default), encoding=None)


def _best(name: str, maximise: bool) -> Callable[..., AggregateBest]:
    def best(selector: Any, sop: Any, default: Any = None, score: Any = None) -> AggregateBest:
        if not isinstance(selector, Selector):
            raise _Fail(f"{name} needs a selector as its first argument, got {kind(selector)}")
        if isinstance(default, SOp | Selector) or not _is_atom(default):
            raise _Fail(f"{name}'s default must be an atom, got {kind(default)}")
        scored = None if score is None else as_sop(score, f"{name}'s score")
        return AggregateBest(selector, as_sop(sop, f"{name}'s s-op"), scored, _freeze(default),
                             maximise, encoding=CATEGORICAL)
    return best


def _selector_width(selector: Any) -> SelectorWidth:
    if not isinstance(selector, Selector):
        raise _Fail(f"selector_width needs a selector, got {kind(selector)}")
    return SelectorWidth(selector, encoding=None)


def _annotate(encoding: Any) -> Callable[[Any], SOp]:
    def annotate(sop: Any) -> SOp:
        if not isinstance(sop, SOp):
            raise _Fail(f"only s-ops carry an encoding annotation, got {kind(sop)}")
        return sop.annotated(encoding)
    return annotate


def _full(value: Any) -> Full:
    if not _is_atom(value):
        raise _Fail(f"full needs an atom, got {kind(value)}")
    return Full(_freeze(value), encoding=None)


def _fn(op: Any, *args: Any) -> Fn:
    if not isinstance(op, str) or (op not in OPS):
        raise _Fail(f"fn needs the name of an element-wise operation, got {op!r}")
    parts = []
    for a in args:
        if isinstance(a, Slot):
            parts.append(a)
        elif _is_atom(a):
            parts.append(_const(a))
        else:
            raise _Fail(f"fn's operands are slot(i) or atoms, got {kind(a)}")
    if len(parts) != OPS[op][0]:
        raise _Fail(f"operation {op!r} takes {OPS[op][0]} operands, got {len(parts)}")
    return Fn(op, tuple(parts))


def _slot(i: Any) -> Slot:
    if not isinstance(i, int) or isinstance(i, bool) or i < 0:
        raise _Fail(f"slot needs a non-negative integer, got {kind(i)}")
    return Slot(i)


def _range(*args: Any) -> list[int]:
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        raise _Fail("range needs integers")
    return list(range(*args))


def _zip(*lists: Any) -> list[list[Any]]:
    for a in lists:
        if not isinstance(a, list | tuple | str | dict):
            raise _Fail(f"zip needs lists, got {kind(a)}")
    return [list(t) for t in zip(*lists)]


def _len(value: Any) -> int:
    if not isinstance(value, list | tuple | str | dict):
        raise _Fail(f"len needs a list, dict or string, got {kind(value)}")
    return len(value)


def _chr(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Fail(f"chr needs an integer, got {kind(value)}")
    return chr(value)


def _conversion(op: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, SOp):
            return Map(unary(op), value, encoding=None)
        if not _is_atom(value):
            raise _Fail(f"{op} needs an s-op or an atom, got {kind(value)}")
        try:
            return OPS[op][1](value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise _Fail(f"{op}({value!r}) is undefined: {exc}") from None
    return convert


# Beyond the original's names (a superset, so the printers can express any program):
# numerical/categorical/unannotated(x) set an s-op's encoding; full(c) is a constant s-op;
# fn("op", slot(0), 3) is an element-wise function value, callable on s-ops; TRUE/FALSE are the
# always/never select predicates; int/float/str/bool/abs/floor/chr convert; None is an atom;
# `!=` also works element-wise.
def _builtin_names() -> dict[str, Any]:
    def b(name: str, fn: Callable[..., Any], lo: int, hi: int | None = None) -> Builtin:
        return Builtin(name, fn, (lo, lo if hi is None else hi))

    names: dict[str, Any] = {
        "tokens": tokens, "tokens_str": tokens, "tokens_asis": tokens,
        "tokens_int": Map(unary("int"), tokens, encoding=None).named("tokens_int"),
        "tokens_float": Map(unary("float"), tokens, encoding=None).named("tokens_float"),
        "tokens_bool": Map(unary("bool"), tokens, encoding=None).named("tokens_bool"),
        "indices": indices, "length": length,
        "True": True, "False": False, "None": None, "TRUE": TRUE, "FALSE": FALSE,
        "select": b("select", _select, 3),
        "aggregate": b("aggregate", _aggregate, 2, 3),
        "aggregate_max": b("aggregate_max", _best("aggregate_max", True), 2, 4),
        "aggregate_min": b("aggregate_min", _best("aggregate_min", False), 2, 4),
        "selector_width": b("selector_width", _selector_width, 1),
        "numerical": b("numerical", _annotate(NUMERICAL), 1),
        "categorical": b("categorical", _annotate(CATEGORICAL), 1),
        "unannotated": b("unannotated", _annotate(None), 1),
        "full": b("full", _full, 1),
        "fn": b("fn", _fn, 1, 99),
        "slot": b("slot", _slot, 1),
        "range": b("range", _range, 1, 3),
        "zip": b("zip", _zip, 1, 99),
        "len": b("len", _len, 1),
        "chr": b("chr", _chr, 1),
    }
    for op in CONVERSIONS:
        names[op] = b(op, _conversion(op), 1)
    return names


# -------------------------------------------------------------------------- interpreter ---
def _where(tree: Tree | Token, file: str | None) -> Where:
    if isinstance(tree, Token):
        return Where(file, tree.line, tree.column)
    meta = tree.meta
    return Where(file, getattr(meta, "line", None), getattr(meta, "column", None))


def _name(node: Any, var: str) -> Any:
    return node.named(var) if isinstance(node, Node) else node


def _is_causal_declaration(stmt: Tree) -> bool:
    """`causal;`: an expression statement that is the bare name `causal`."""
    if stmt.data != "expr_stmt":
        return False
    expr = stmt.children[0]
    return isinstance(expr, Tree) and expr.data == "var" and str(expr.children[0]) == "causal"


def causal_names(names: dict[str, Any]) -> dict[str, Any]:
    """A causal file's names: its s-ops wrapped in Causal, everything else as it is."""
    return {k: causal(v) if isinstance(v, SOp) else v for k, v in names.items()}


class Interpreter:
    """Executes one file's statements in a scope; `load` runs other files with a fresh one."""

    def __init__(self, file: str | None, base: Scope, loading: tuple[str, ...] = ()):
        self.file = file
        self.base = base
        self.loading = loading
        #: top-level assignment record of this file
        self.names: list[str] = []
        self.last: SOp | None = None
        self.last_node: Node | None = None
        #: the file began with `causal;`
        self.causal = False

    # --- statements ------------------------------------------------------------------------
    def run(self, tree: Tree, scope: Scope, top: bool) -> None:
        for i, stmt in enumerate(tree.children):
            if i == 0 and top and tree.data == "start" and _is_causal_declaration(stmt):
                self.causal = True
                continue
            self.statement(stmt, scope, top)

    def statement(self, stmt: Tree, scope: Scope, top: bool) -> None:
        kind_ = stmt.data
        if kind_ == "assign":
            names_tree, exprs_tree = stmt.children
            targets = [str(t) for t in names_tree.children]
            values = self.exprs(exprs_tree, scope)
            where = _where(stmt, self.file)
            if len(values) == 1 and len(targets) > 1:
                values = self._unpack(values[0], len(targets), where)
            if len(values) != len(targets):
                raise where.error(f"cannot assign {len(values)} values to {len(targets)} names")
            for var, value in zip(targets, values):
                value = _name(value, var)
                scope.vars[var] = value
                if top:
                    self._record(var, value)
        elif kind_ == "expr_stmt":
            if _is_causal_declaration(stmt):
                raise _where(stmt, self.file).error(
                    "'causal;' must be the first statement of the file")
            self.expr(stmt.children[0], scope)
        elif kind_ == "draw_stmt":
            for child in stmt.children:
                if child is not None:
                    self.expr(child, scope)
        elif kind_ == "load_stmt":
            self.load(stmt.children[0], scope)
        elif kind_ == "funcdef":
            name_tok, params_tree, body = stmt.children
            params = [str(t) for t in params_tree.children] if params_tree is not None else []
            if len(set(params)) != len(params):
                raise _where(stmt, self.file).error(f"repeated parameter name in def {name_tok}")
            scope.vars[str(name_tok)] = Function(str(name_tok), params, body, scope, self.file)
        elif kind_ == "forloop":
            names_tree, iterable_tree, block = stmt.children
            targets = [str(t) for t in names_tree.children]
            where = _where(iterable_tree, self.file)
            for item in self._iterate(self.expr(iterable_tree, scope), where):
                self._bind(targets, item, scope, where)
                self.run(block, scope, top)
        else:  # pragma: no cover - the grammar has no other statements
            raise _where(stmt, self.file).error(f"unknown statement {kind_}")

    def _record(self, var: str, value: Any) -> None:
        if var not in self.names:  # in order of first assignment
            self.names.append(var)
        if isinstance(value, Node):
            self.last_node = value
            if isinstance(value, SOp):
                self.last = value

    def _unpack(self, value: Any, n: int, where: Where) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise where.error(f"cannot unpack {kind(value)} into {n} names")
        if len(value) != n:
            raise where.error(f"cannot unpack {len(value)} values into {n} names")
        return list(value)

    def _iterate(self, value: Any, where: Where) -> list[Any]:
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, list | tuple | str):
            return list(value)
        raise where.error(f"cannot iterate over {kind(value)}")

    def _bind(self, targets: list[str], item: Any, scope: Scope, where: Where) -> None:
        if len(targets) == 1:
            scope.vars[targets[0]] = item
            return
        for var, value in zip(targets, self._unpack(item, len(targets), where)):
            scope.vars[var] = value

    def load(self, tok: Token, scope: Scope) -> None:
        where = _where(tok, self.file)
        name = str(tok)[1:-1]
        path = resolve_load(name, self.file)
        if path is None:
            raise where.name_error(f"cannot load {name!r}: no file {name}.rasp next to the "
                                   "loading file, in the working directory or in the library")
        key = str(path.resolve())
        if key in self.loading:
            raise where.error(f"load cycle: {name!r} is already being loaded")
        exported = _run_file(path, self.base, self.loading + (key,))
        scope.vars.update(exported)

    # --- expressions -----------------------------------------------------------------------
    def exprs(self, tree: Tree, scope: Scope) -> list[Any]:
        return [self.expr(c, scope) for c in tree.children]

    def expr(self, tree: Tree | Token, scope: Scope) -> Any:
        try:
            method = getattr(self, "e_" + tree.data)  # type: ignore[union-attr]
        except AttributeError:  # pragma: no cover - every grammar rule has a method
            raise _where(tree, self.file).error(f"unsupported expression {tree!r}") from None
        try:
            return method(tree, scope)
        except _Fail as exc:
            raise _where(tree, self.file).error(str(exc)) from None

    def e_var(self, tree: Tree, scope: Scope) -> Any:
        name = str(tree.children[0])
        try:
            return scope.lookup(name)
        except KeyError:
            raise _where(tree, self.file).name_error(f"unknown name {name!r}") from None

    def e_int_(self, tree: Tree, scope: Scope) -> int:
        return int(tree.children[0])

    def e_float_(self, tree: Tree, scope: Scope) -> float:
        return float(tree.children[0])

    def e_string(self, tree: Tree, scope: Scope) -> str:
        return str(tree.children[0])[1:-1]

    def e_list_(self, tree: Tree, scope: Scope) -> list[Any]:
        inner = tree.children[0]
        return [] if inner is None else self.exprs(inner, scope)

    def e_dict_(self, tree: Tree, scope: Scope) -> dict[Any, Any]:
        inner = tree.children[0]
        out: dict[Any, Any] = {}
        for pair in ([] if inner is None else inner.children):
            key = self.expr(pair.children[0], scope)
            out[self._dict_key(key, pair)] = self.expr(pair.children[1], scope)
        return out

    def _dict_key(self, key: Any, tree: Tree) -> Any:
        if not _is_atom(key):
            raise _where(tree, self.file).error(f"a dict key must be an atom, got {kind(key)}")
        return _freeze(key)

    def _comprehension(self, names_tree: Tree, iterable: Tree, scope: Scope) -> Iterator[Scope]:
        targets = [str(t) for t in names_tree.children]
        where = _where(iterable, self.file)
        for item in self._iterate(self.expr(iterable, scope), where):
            inner = Scope(scope)
            self._bind(targets, item, inner, where)
            yield inner

    def e_listcomp(self, tree: Tree, scope: Scope) -> list[Any]:
        value, names_tree, iterable = tree.children
        scopes = self._comprehension(names_tree, iterable, scope)
        return [self.expr(value, inner) for inner in scopes]

    def e_dictcomp(self, tree: Tree, scope: Scope) -> dict[Any, Any]:
        key, value, names_tree, iterable = tree.children
        out: dict[Any, Any] = {}
        for inner in self._comprehension(names_tree, iterable, scope):
            out[self._dict_key(self.expr(key, inner), tree)] = self.expr(value, inner)
        return out

    def e_predicate(self, tree: Tree, scope: Scope) -> Fn:
        return PREDICATES[str(tree.children[0])]

    # operators
    def e_binop(self, tree: Tree, scope: Scope) -> Any:
        left, op_tok, right = tree.children
        a, b = self.expr(left, scope), self.expr(right, scope)
        return binary_op(BINARY_OPS[str(op_tok)], a, b)

    def e_logic_op(self, tree: Tree, scope: Scope) -> Any:
        left, op_tok, right = tree.children
        a, b = self.expr(left, scope), self.expr(right, scope)
        op = str(op_tok)
        if isinstance(a, Selector) or isinstance(b, Selector):
            if not (isinstance(a, Selector) and isinstance(b, Selector)):
                raise _Fail(f"'{op}' combines two selectors, got {kind(a)} and {kind(b)}")
            return SelectorAnd(a, b) if op == "and" else SelectorOr(a, b)
        return binary_op(op, a, b)

    def e_unop(self, tree: Tree, scope: Scope) -> Any:
        op_tok, operand = tree.children
        value = self.expr(operand, scope)
        return unary_op(UNARY_OPS[str(op_tok)], value)

    def e_contains(self, tree: Tree, scope: Scope) -> Any:
        left, right = tree.children
        return contains(self.expr(left, scope), self.expr(right, scope))

    def e_ifelse(self, tree: Tree, scope: Scope) -> Any:
        yes, cond_tree, no = tree.children
        cond = self.expr(cond_tree, scope)
        if isinstance(cond, SOp):
            return if_else(self.expr(yes, scope), cond, self.expr(no, scope))
        if not _is_atom(cond):
            raise _Fail(f"the condition of 'if' must be an s-op or an atom, got {kind(cond)}")
        return self.expr(yes, scope) if cond else self.expr(no, scope)

    def e_index(self, tree: Tree, scope: Scope) -> Any:
        container, key = tree.children
        return index(self.expr(container, scope), self.expr(key, scope))

    def e_call(self, tree: Tree, scope: Scope) -> Any:
        callee_tree, args_tree = tree.children
        callee = self.expr(callee_tree, scope)
        args = [] if args_tree is None else [self.expr(a, scope) for a in args_tree.children]
        label = str(callee_tree.children[0]) if callee_tree.data == "var" else "the callee"
        if isinstance(callee, Function):
            return self.call_function(callee, args, tree)
        if isinstance(callee, Builtin):
            lo, hi = callee.arity
            if not lo <= len(args) <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}"
                raise _Fail(f"{callee.name} takes {want} arguments, got {len(args)}")
            return callee.fn(*args)
        if isinstance(callee, Fn):
            return apply_fn(callee, args)
        if isinstance(callee, SOp | Selector):
            if len(args) != 1:
                raise _Fail(f"an s-op runs on one input, got {len(args)} arguments")
            return run_on_input(callee, args[0], causal=self.causal)
        raise _Fail(f"{label} is {kind(callee)}, which cannot be called")

    def call_function(self, fn: Function, args: list[Any], tree: Tree) -> Any:
        if len(args) != len(fn.params):
            raise _Fail(f"{fn.name} takes {len(fn.params)} arguments, got {len(args)}")
        local = Scope(fn.closure, dict(zip(fn.params, args)))
        inner = self if fn.file == self.file else Interpreter(fn.file, self.base, self.loading)
        body = fn.body
        *stmts, ret = body.children
        for stmt in stmts:
            inner.statement(stmt, local, top=False)
        values = inner.exprs(ret.children[0], local)
        return values[0] if len(values) == 1 else values


# ----------------------------------------------------------------- value-level operations ---
def binary_op(op: str, a: Any, b: Any) -> Any:
    """`a op b` for s-ops (an element-wise node) or atoms (computed now)."""
    symbol = next(s for s, o in BINARY_OPS.items() if o == op)
    for v in (a, b):
        if not isinstance(v, SOp) and not _is_atom(v):
            raise _Fail(f"'{symbol}' needs s-ops or atoms, got {kind(v)}")
    if isinstance(a, SOp) and isinstance(b, SOp):
        return SequenceMap(binary(op), a, b, encoding=None)
    if isinstance(a, SOp):
        return Map(Fn(op, (SLOT0, _const(b))), a, encoding=None)
    if isinstance(b, SOp):
        return Map(Fn(op, (_const(a), SLOT0)), b, encoding=None)
    try:
        return OPS[op][1](a, b)
    except Exception as exc:
        raise _Fail(f"{a!r} {symbol} {b!r} is undefined ({type(exc).__name__}: {exc})") from None


def unary_op(op: str, value: Any) -> Any:
    """A prefix operator, `round(x)` or `indicator(x)`."""
    if isinstance(value, Selector):
        if op == "not":
            return SelectorNot(value)
        raise _Fail(f"{op} does not apply to a selector")
    if isinstance(value, SOp):
        return Map(unary(op), value, encoding=None)
    if not _is_atom(value):
        raise _Fail(f"{op} needs an s-op or an atom, got {kind(value)}")
    try:
        return OPS[op][1](value)
    except Exception as exc:
        raise _Fail(f"{op} of {value!r} is undefined ({type(exc).__name__})") from None


def contains(x: Any, container: Any) -> Any:
    """`x in container`: element-wise for an s-op x; a broadcast boolean for an s-op container."""
    if isinstance(container, SOp):
        if isinstance(x, SOp | Selector) or not _is_atom(x):
            raise _Fail(f"'in' an s-op needs an atom on the left, got {kind(x)}")
        found = SelectorWidth(Select(container, Full(_freeze(x), encoding=None), EQ), encoding=None)
        return Map(Fn("gt", (SLOT0, Const(0))), found, encoding=None)
    if not isinstance(container, list | tuple | dict | str):
        raise _Fail(f"'in' needs a list, dict, string or s-op on the right, got {kind(container)}")
    if isinstance(x, SOp):
        items = tuple(container) if isinstance(container, dict) else container
        return Map(Fn("in", (SLOT0, _const(items))), x, encoding=None)
    if not _is_atom(x):
        raise _Fail(f"'in' needs an s-op or an atom on the left, got {kind(x)}")
    try:
        return _freeze(x) in (container if not isinstance(container, list) else _freeze(container))
    except TypeError as exc:
        raise _Fail(f"{x!r} in {container!r} is undefined ({exc})") from None


def if_else(yes: Any, cond: SOp, no: Any) -> SOp:
    """Element-wise `yes if cond else no`: s-op operands become slots, in order."""
    parts, sops = [], []
    for v in (yes, cond, no):
        if isinstance(v, SOp):
            parts.append(Slot(len(sops)))
            sops.append(v)
        elif _is_atom(v):
            parts.append(_const(v))
        else:
            raise _Fail(f"'if ... else' needs s-ops or atoms, got {kind(v)}")
    fn = Fn("ifelse", tuple(parts))
    if len(sops) == 1:
        return Map(fn, sops[0], encoding=None)
    return SequenceMap(fn, *sops, encoding=None)


def index(container: Any, key: Any) -> Any:
    """`container[key]`: a table lookup for an s-op key, a position broadcast for an s-op."""
    if isinstance(container, SOp):
        if not isinstance(key, int) or isinstance(key, bool):
            raise _Fail(f"an s-op is indexed by a constant integer position, got {kind(key)}")
        where = Full(key, encoding=None) if key >= 0 else Map(Fn("add", (SLOT0, Const(key))),
                                                               length, encoding=None)
        return Aggregate(Select(indices, where, EQ), container, 0, encoding=None)
    if isinstance(key, SOp):
        if isinstance(container, dict):
            if not _is_atom(list(container.values())):
                raise _Fail("a dict indexed by an s-op must hold atoms")
            return Map(Fn.table(container), key, encoding=None)
        if isinstance(container, list | tuple | str):
            if not _is_atom(list(container)):
                raise _Fail("a list indexed by an s-op must hold atoms")
            return Map(Fn.table(list(container)), key, encoding=None)
        raise _Fail(f"cannot index {kind(container)} with an s-op")
    if not isinstance(container, list | tuple | dict | str):
        raise _Fail(f"cannot index {kind(container)}")
    try:
        return container[_freeze(key) if isinstance(container, dict) else key]
    except (KeyError, IndexError, TypeError) as exc:
        raise _Fail(f"index {key!r} is not in {kind(container)} ({type(exc).__name__})") from None


def apply_fn(fn: Fn, args: list[Any]) -> Any:
    """Call an element-wise function value: a Map/SequenceMap on s-ops, its result on atoms."""
    if args and all(isinstance(a, SOp) for a in args):
        if fn.arity > len(args):
            raise _Fail(f"this function uses {fn.arity} s-ops, got {len(args)}")
        if len(args) == 1:
            return Map(fn, args[0], encoding=None)
        return SequenceMap(fn, *args, encoding=None)
    if all(_is_atom(a) for a in args):
        try:
            return fn(*[_freeze(a) for a in args])
        except Exception as exc:
            raise _Fail(f"function undefined on {args!r} ({type(exc).__name__})") from None
    raise _Fail("an element-wise function takes only s-ops or only atoms")


def run_on_input(program: SOp | Selector, value: Any, causal: bool = False) -> Any:
    """`reverse("hello")`: evaluate a program on one input."""
    if isinstance(value, str):
        seq: list[Any] = list(value)
    elif isinstance(value, list | tuple):
        seq = list(value)
    else:
        raise _Fail(f"an s-op runs on a string or a list, got {kind(value)}")
    if not seq:
        raise _Fail("an s-op runs on a non-empty input")
    out = evaluate(program, [seq], causal=causal)[0]
    return out.tolist() if hasattr(out, "tolist") else out


# ------------------------------------------------------------------------ files, prelude ---
def resolve_load(name: str, from_file: str | None) -> Path | None:
    """`load "name";`: name.rasp next to the loading file, then in the cwd, then the library."""
    filename = name if name.endswith(".rasp") else name + ".rasp"
    folders = []
    if from_file is not None and not from_file.startswith("<"):
        folders.append(Path(from_file).resolve().parent)
    folders += [Path.cwd(), STDLIB_DIR]
    for folder in folders:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    return None


def _public(scope: Scope) -> dict[str, Any]:
    return {k: v for k, v in scope.vars.items() if not k.startswith("_")}


_FILE_CACHE: dict[tuple[str, float, int], dict[str, Any]] = {}


def read_source(path: Path) -> str:
    """A `.rasp` file's text (UTF-8); RaspSyntaxError naming the line of a byte that is not."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RaspSyntaxError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", str(path),
                              line) from None


def _run_file(path: Path, base: Scope, loading: tuple[str, ...]) -> dict[str, Any]:
    """Run a loaded file in a fresh scope over `base`; its public names (cached by mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime, id(base))
    if key not in _FILE_CACHE:
        try:
            source = read_source(path)
        except OSError as exc:
            raise RaspNameError(f"cannot read {path}: {exc.strerror}") from None
        scope = Scope(base)
        interp = Interpreter(str(path), base, loading)
        interp.run(_syntax_tree(source, str(path)), scope, top=True)
        exported = _public(scope)
        _FILE_CACHE[key] = causal_names(exported) if interp.causal else exported
    return _FILE_CACHE[key]


@lru_cache(maxsize=1)
def _builtins_scope() -> Scope:
    return Scope(None, _builtin_names())


_PRELUDES: dict[tuple[str, float], Scope] = {}


def base_scope(prelude: bool | str | os.PathLike = True) -> Scope:
    """The scope user code starts from: built-ins, then the prelude's public names."""
    builtins = _builtins_scope()
    if prelude is False:
        return builtins
    path = PRELUDE_PATH if prelude is True else Path(prelude)
    if not path.is_file():
        if prelude is True:
            return builtins  # the library file is optional
        raise RaspNameError(f"no prelude file {path}")
    key = (str(path.resolve()), path.stat().st_mtime)
    if key not in _PRELUDES:
        scope = Scope(builtins)
        Interpreter(str(path), builtins).run(_syntax_tree(path.read_text(), str(path)), scope,
                                             top=True)
        _PRELUDES[key] = Scope(builtins, _public(scope))
    return _PRELUDES[key]


def _with_stack(fn: Callable[[], Program]) -> Program:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20_000))
    try:
        return fn()
    except RecursionError:
        raise RaspSyntaxError("recursion too deep (a function that calls itself forever, or "
                              "an expression nested too deeply)") from None
    finally:
        sys.setrecursionlimit(old)


def parse(source: str, file: str | None = None, *,
          prelude: bool | str | os.PathLike = True) -> Program:
    """Run `.rasp` source; the Program holds its names, their values and the last s-op assigned.

    Source that begins with `causal;` is causal: its s-ops come back wrapped in `Causal`.

    `file` names the source in errors and anchors relative `load`s. `prelude` loads the standard
    library (`stdlib/rasplib.rasp`, when present) first; False skips it, a path replaces it.
    """
    def go() -> Program:
        base = base_scope(prelude)
        tree = _syntax_tree(source, file)
        scope = Scope(base)
        interp = Interpreter(file, base, (str(Path(file).resolve()),) if file else ())
        interp.run(tree, scope, top=True)
        if not interp.causal:
            return Program(scope.vars, interp.names, interp.last, interp.last_node, file, base)
        last_node = interp.last_node
        return Program(causal_names(scope.vars), interp.names,
                       None if interp.last is None else causal(interp.last),
                       causal(last_node) if isinstance(last_node, SOp) else last_node, file, base,
                       causal=True)

    return _with_stack(go)


def parse_file(path: str | os.PathLike, *, prelude: bool | str | os.PathLike = True) -> Program:
    """Parse a `.rasp` file (relative loads resolve next to it)."""
    p = Path(path)
    try:
        source = read_source(p)
    except FileNotFoundError:
        raise RaspNameError(f"no such file: {p}") from None
    except OSError as exc:
        raise RaspNameError(f"cannot read {p}: {exc.strerror}") from None
    return parse(source, str(p), prelude=prelude)


def load_program(path_or_source: str | os.PathLike, name: str | None = None, *,
                 prelude: bool | str | os.PathLike = True) -> Node:
    """The s-op named `name` (default: the last one assigned) from a `.rasp` file or source text."""
    text = str(path_or_source)
    is_path = isinstance(path_or_source, os.PathLike) or (
        "\n" not in text and ";" not in text and Path(text).is_file())
    program = parse_file(text, prelude=prelude) if is_path else parse(text, prelude=prelude)
    where = program.file or "<source>"
    if name is None:
        if program.last is None:
            raise RaspNameError(f"{where}: the program assigns no s-op")
        return program.last
    if name not in program:
        raise RaspNameError(f"{where}: no name {name!r} in the program")
    value = program[name]
    if not isinstance(value, Node):
        raise RaspNameError(f"{where}: {name!r} is {kind(value)}, not an s-op or selector")
    return value


__all__ = ["Program", "Scope", "parse", "parse_file", "load_program", "resolve_load",
           "base_scope", "STDLIB_DIR", "PRELUDE_PATH"]
