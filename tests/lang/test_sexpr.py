"""S-expressions: exact shapes of common programs, round trips over random programs, errors."""
from __future__ import annotations

import math

import pytest
import stitch_core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasplab.errors import CompileError, RaspSyntaxError
from rasplab.lang.ast import (
    CATEGORICAL,
    EQ,
    LT,
    NUMERICAL,
    Aggregate,
    AggregateBest,
    Causal,
    Full,
    IndicesType,
    LengthType,
    Map,
    Select,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    TokensType,
    indices,
    length,
    numerical,
    select,
    tokens,
)
from rasplab.lang.evaluator import evaluate
from rasplab.lang.functions import OPS, Const, Fn, Slot
from rasplab.lang.library import get_program, library_names
from rasplab.lang.parser import load_program
from rasplab.lang.sexpr import from_sexpr, inline_abstractions, parse_sexpr, to_sexpr

REVERSE = "(aggregate (select indices (sub (sub length indices) 1) eq) tokens)"


def rasp(expr: str):
    """The program of a `.rasp` expression (the source form prints without annotations)."""
    return load_program(f"out = {expr};", "out", prelude=False)


def test_reverse_exact_string():
    reverse = rasp("aggregate(select(indices, length - indices - 1, ==), tokens)")
    assert to_sexpr(reverse) == REVERSE
    assert from_sexpr(REVERSE) == reverse


def test_library_reverse_exact_string():
    assert to_sexpr(get_program("reverse")) == REVERSE


@pytest.mark.parametrize("expr, text", [
    ("selector_width(select(tokens, tokens, ==))", "(selector_width (select tokens tokens eq))"),
    ("aggregate(select(indices, 0, ==), tokens)", "(aggregate (select indices 0 eq) tokens)"),
    ('aggregate(select(indices, 0, ==), tokens, "_")',
     '(aggregate (select indices 0 eq) tokens "_")'),
    ('tokens == "("', r'(eq tokens "\u0028")'),
    ("3 - indices", "(sub 3 indices)"),
    ("indices - tokens", "(sub indices tokens)"),
    ('{"a": 1, "b": 2}[tokens]', '(table tokens "a" 1 "b" 2)'),
    ('"F" if indices > 1 else "T"', '(ifelse "F" (gt indices 1) "T")'),
    ('tokens in ["(", "{"]', r'(in tokens (tuple "\u0028" "{"))'),
    ("select(tokens, tokens, ==) and not select(indices, indices, <)",
     "(and (select tokens tokens eq) (not (select indices indices lt)))"),
])
def test_source_programs_print_plainly(expr, text):
    program = rasp(expr)
    assert to_sexpr(program) == text
    assert from_sexpr(text) == program


def test_annotations_print_only_where_they_are_not_the_source_form():
    frac = numerical(Aggregate(select(indices, indices, LT), numerical(tokens.eq("x")), 0))
    assert to_sexpr(frac) == ("(numerical (aggregate (select indices indices lt) "
                              '(numerical (eq tokens "x"))))')
    cat = Aggregate(select(indices, Full(0, encoding=None), EQ), tokens)  # Tracr's default None
    assert to_sexpr(cat) == "(categorical (aggregate (select indices 0 eq) tokens))"
    assert from_sexpr(to_sexpr(cat)).default is None
    assert to_sexpr(indices + 1) == "(categorical (add indices 1))"  # embedding's default
    assert to_sexpr(numerical(tokens)) == "(numerical tokens)"


def test_irregular_functions_use_the_general_form():
    square = Map(Fn("mul", (Slot(0), Slot(0))), indices, encoding=None)
    assert to_sexpr(square) == "(map (fn mul %0 %0) indices)"
    swapped = SequenceMap(Fn("sub", (Slot(1), Slot(0))), tokens, indices, encoding=None)
    assert to_sexpr(swapped) == "(seqmap (fn sub %1 %0) tokens indices)"
    versus_full = SequenceMap(Fn("sub", (Slot(0), Slot(1))), indices, Full(1, encoding=None),
                              encoding=None)
    assert to_sexpr(versus_full) == "(sub indices (full 1))"
    assert from_sexpr(to_sexpr(versus_full)) == versus_full
    assert from_sexpr("(sub indices 1)") == rasp("indices - 1")
    odd_select = Select(tokens, tokens, Fn("eq", (Slot(0), Const("a"))))
    assert to_sexpr(odd_select) == '(select tokens tokens (fn eq %0 "a"))'


def test_strings_survive_stitch_tokenizer():
    tricky = 'a (b) "c" \\ d\n'
    text = to_sexpr(tokens.eq(tricky))
    assert " " not in text.split('"', 1)[1] and text.count("(") == text.count(")")
    assert from_sexpr(text) == tokens.eq(tricky)


def test_opaque_python_function_is_a_clear_error():
    program = Map(lambda v: v + 1, indices)
    with pytest.raises(CompileError, match="opaque Python function"):
        to_sexpr(program)


@pytest.mark.parametrize("text, message", [
    ("(aggregate (select indices indices eq) tokens", "missing"),
    ("(select indices indices eq))", "unbalanced"),
    ("(frobnicate tokens)", "unknown operation"),
    ("(aggregate tokens tokens)", "expected a selector"),
    ("(add (select tokens tokens eq) indices)", "not selectors"),
    ("(select indices indices nope)", "unknown select predicate"),
    ("toukens", "unknown name"),
    ("(add 1 2)", "at least one s-op"),
    ("(table tokens 1)", "pairs"),
    ("", "empty"),
])
def test_malformed_text_names_the_problem(text, message):
    with pytest.raises(RaspSyntaxError, match=message):
        from_sexpr(text)


def test_nan_and_infinities():
    assert to_sexpr(Full(math.inf, encoding=None)) == "(full 1e999)"
    assert from_sexpr("(full -1e999)") == Full(-math.inf, encoding=None)
    assert math.isnan(from_sexpr("(full nan)").value)


def test_parse_keeps_strings_apart_from_symbols():
    tree = parse_sexpr('(eq tokens "tokens")')
    assert [str(t) for t in tree] == ["eq", "tokens", "tokens"]
    assert from_sexpr('(eq tokens "tokens")') == rasp('tokens == "tokens"')


# --------------------------------------------------------------------- random programs ---
literals = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20)
    | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3).map(tuple),
    max_leaves=4)
encodings = st.sampled_from([CATEGORICAL, NUMERICAL, None])
binary_ops = sorted(op for op, (arity, _) in OPS.items() if arity == 2)


@st.composite
def functions(draw, n_slots: int) -> Fn:
    """A random Fn over `n_slots` s-ops: regular, repeated or reordered slots, or a table."""
    if n_slots == 1 and draw(st.booleans()) and draw(st.booleans()):
        pairs = draw(st.lists(st.tuples(literals, literals), max_size=3))
        return Fn("table", (Slot(0),), data=tuple(pairs))
    op = draw(st.sampled_from(sorted(OPS)))
    width = draw(st.integers(n_slots, n_slots + 2))
    args = [Slot(i) for i in range(n_slots)] + [Const(draw(literals))
                                                for _ in range(width - n_slots)]
    if draw(st.booleans()):
        args = draw(st.permutations(args))
    if draw(st.integers(0, 4)) == 0:
        args.append(Slot(draw(st.integers(0, n_slots - 1))))
    return Fn(op, tuple(args))


@st.composite
def programs(draw, depth: int = 3):
    """A random s-op (kind="sop") drawn from every node type."""
    leaves = ["tokens", "indices", "length", "full"]
    kinds = leaves + (["map", "seqmap", "aggregate", "width", "best", "causal"] if depth > 0
                      else [])
    kind = draw(st.sampled_from(kinds))
    enc = draw(encodings)
    if kind == "tokens":
        return TokensType(encoding=enc)
    if kind == "indices":
        return IndicesType(encoding=enc)
    if kind == "length":
        return LengthType(encoding=enc)
    if kind == "full":
        return Full(draw(literals), encoding=enc)
    if kind == "map":
        return Map(draw(functions(1)), draw(programs(depth - 1)), encoding=enc)
    if kind == "seqmap":
        n = draw(st.integers(2, 3))
        args = [draw(programs(depth - 1)) for _ in range(n)]
        return SequenceMap(draw(functions(n)), *args, encoding=enc)
    if kind == "width":
        return SelectorWidth(draw(selectors(depth - 1)), encoding=enc)
    if kind == "causal":
        return Causal(draw(programs(depth - 1)))
    if kind == "best":
        score = draw(programs(depth - 1)) if draw(st.booleans()) else None
        default = draw(literals) if draw(st.booleans()) else None
        return AggregateBest(draw(selectors(depth - 1)), draw(programs(depth - 1)), score,
                             default, draw(st.booleans()), encoding=enc)
    default = draw(literals) if draw(st.booleans()) else None
    sel, sop = draw(selectors(depth - 1)), draw(programs(depth - 1))
    if default is None and draw(st.booleans()):
        return Aggregate(sel, sop, encoding=enc)
    return Aggregate(sel, sop, default, encoding=enc)


@st.composite
def selectors(draw, depth: int):
    kind = draw(st.sampled_from(["select", "select", "and", "or", "not"] if depth > 0
                                else ["select"]))
    if kind == "select":
        pred = (Fn(draw(st.sampled_from(binary_ops)), (Slot(0), Slot(1)))
                if draw(st.booleans()) else draw(functions(2)))
        return Select(draw(programs(max(depth - 1, 0))), draw(programs(max(depth - 1, 0))), pred)
    if kind == "not":
        return SelectorNot(draw(selectors(depth - 1)))
    cls = SelectorAnd if kind == "and" else SelectorOr
    return cls(draw(selectors(depth - 1)), draw(selectors(depth - 1)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_round_trip_random_programs(program):
    text = to_sexpr(program)
    assert from_sexpr(text) == program
    assert to_sexpr(from_sexpr(text)) == text


@settings(max_examples=60, deadline=None)
@given(selectors(2))
def test_round_trip_random_selectors(selector):
    assert from_sexpr(to_sexpr(selector)) == selector


def test_round_trip_keeps_meaning():
    program = numerical(Aggregate(select(tokens, tokens, EQ) | ~select(indices, 1, LT),
                                  numerical(indices * 2), 0))
    again = from_sexpr(to_sexpr(program))
    inputs = ["abca", "b", "hello"]
    assert evaluate(again, inputs) == evaluate(program, inputs)


def test_stitch_accepts_the_encoding():
    corpus = [to_sexpr(get_program(name)) for name in ("reverse", "hist", "sort", "dyck1")]
    corpus.append(to_sexpr(rasp('aggregate(select(indices, length - indices - 1, ==), '
                                'tokens == "(")')))
    result = stitch_core.compress(corpus, iterations=1, max_arity=2)
    assert len(result.rewritten) == len(corpus)
    assert result.abstractions and "select indices (sub (sub length indices) 1) eq" in str(
        result.abstractions[0].body)


def test_stitch_compressed_library_reads_back():
    """The whole library through Stitch: rewritten programs, abstractions inlined, are equal.

    Stitch 0.1's cost check panics on the multi-use abstraction (select #0 #0) that RASP's
    select(x, x, ==) makes common; no_mismatch_check=True skips that check.
    """
    names = library_names()
    corpus = [to_sexpr(get_program(n)) for n in names]
    result = stitch_core.compress(corpus, iterations=4, max_arity=3, no_mismatch_check=True)
    assert len(result.abstractions) >= 2
    assert any(t != c for t, c in zip(result.rewritten, corpus))
    for text, original, name in zip(result.rewritten, corpus, names):
        assert from_sexpr(text, result.abstractions) == get_program(name)
        assert inline_abstractions(text, result.abstractions) == original


def test_inline_abstractions_argument_order_and_currying():
    bodies = {"fn_0": "(select #1 #0 eq)", "fn_1": "(aggregate (fn_0 indices #0))"}
    assert inline_abstractions("(fn_1 (sub length 1) tokens)", bodies) == (
        "(aggregate (select (sub length 1) indices eq) tokens)")
    with pytest.raises(RaspSyntaxError, match="takes 2 arguments"):
        from_sexpr("(fn_0 indices)", bodies)


def test_annotations_can_be_left_out_for_mixed_corpora():
    embedded = Aggregate(select(indices, length - indices - 1, EQ), tokens)  # categorical
    assert to_sexpr(embedded).startswith("(categorical (aggregate")
    text = to_sexpr(embedded, annotations=False)
    assert text == '(aggregate (select indices (sub (sub length indices) 1) eq) tokens None)'
    source_form = from_sexpr(text)
    assert source_form.encoding is None and source_form.default is None
    assert evaluate(source_form, ["abc", "hello"]) == evaluate(embedded, ["abc", "hello"])
    assert to_sexpr(get_program("dyck2"), annotations=False) == to_sexpr(get_program("dyck2"))
