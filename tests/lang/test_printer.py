"""Printers: `.rasp` and Python source that parse back to equal programs (property-tested)."""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasplab.errors import RaspLabError
from rasplab.lang import (
    CATEGORICAL,
    EQ,
    FALSE,
    GE,
    GT,
    LE,
    LT,
    NE,
    NUMERICAL,
    TRUE,
    Aggregate,
    AggregateBest,
    Full,
    Map,
    Select,
    SelectorAnd,
    SelectorNot,
    SelectorOr,
    SelectorWidth,
    SequenceMap,
    causal,
    evaluate,
    indices,
    length,
    numerical,
    select,
    tokens,
)
from rasplab.lang.functions import SLOT0, Const, Fn, Slot, binary, unary
from rasplab.lang.parser import parse
from rasplab.lang.printer import UnprintableError, to_python, to_rasp, to_rasp_expr

INPUTS = ["abc", "ba", "a", [1, 2, 0, 2], [3]]


def reparse(program, name="program"):
    return parse(to_rasp(program, name), prelude=False)[name]


def reexec(program, name="program"):
    namespace: dict = {}
    exec(to_python(program, name), namespace)
    return namespace[name]


def outputs(program):
    """Outputs on INPUTS (repr, so nan compares equal), or the error type."""
    try:
        out = evaluate(program, INPUTS, strict=False)
    except RaspLabError as exc:
        return type(exc).__name__
    return repr([o.tolist() if hasattr(o, "tolist") else o for o in out])


# --- random programs ---------------------------------------------------------------------------
atoms = st.one_of(
    st.integers(-3, 5), st.sampled_from([0.5, -1.5, 2.0, 1e-05, 1e20, math.inf]),
    st.text(alphabet='ab"\n §', max_size=3), st.booleans(),
    st.lists(st.sampled_from(["a", "b", 1]), max_size=3).map(tuple))
encodings = st.sampled_from([None, None, CATEGORICAL, NUMERICAL])
names = st.one_of(st.none(), st.none(), st.sampled_from(
    ["x", "x", "select", "tokens", "program", "my var", "_priv", "sel_1", "3d"]))


def _named(node, name):
    return node.named(name) if name else node


leaves = st.one_of(
    st.sampled_from([tokens, indices, length]).flatmap(
        lambda t: encodings.map(t.annotated)),
    st.builds(lambda v, e: Full(v, encoding=e), atoms, encodings))

unary_fns = st.sampled_from([unary(op) for op in
                             ("neg", "pos", "not", "indicator", "round", "abs", "int", "str",
                              "floor", "identity", "bool", "float")])
binary_ops = st.sampled_from(["add", "sub", "mul", "div", "mod", "pow", "eq", "ne", "lt", "le",
                              "gt", "ge", "and", "or", "min", "max"])
map_fns = st.one_of(
    unary_fns,
    st.builds(lambda op, c, left: Fn(op, (Const(c), SLOT0) if left else (SLOT0, Const(c))),
              binary_ops, atoms, st.booleans()),
    st.builds(lambda c: Fn("in", (SLOT0, Const(c))), atoms),
    st.builds(lambda d: Fn.table(d), st.dictionaries(st.sampled_from(["a", "b", 0, 1]), atoms,
                                                     max_size=3)),
    st.builds(lambda a, b, pos: Fn("ifelse", ((SLOT0, Const(a), Const(b)), (Const(a), SLOT0,
                                              Const(b)), (Const(a), Const(b), SLOT0))[pos]),
              atoms, atoms, st.integers(0, 2)),
    st.builds(lambda op: Fn(op, (SLOT0, SLOT0)), binary_ops))
pair_fns = st.one_of(
    st.builds(lambda op, swap: Fn(op, (Slot(1), SLOT0) if swap else (SLOT0, Slot(1))),
              binary_ops, st.booleans()),
    st.builds(lambda c, pos: Fn("ifelse", ((SLOT0, Slot(1), Const(c)), (Const(c), SLOT0, Slot(1)),
                                           (Slot(1), SLOT0, Const(c)))[pos]),
              atoms, st.integers(0, 2)))
predicates = st.sampled_from([EQ, NE, LT, LE, GT, GE, TRUE, FALSE, Fn("lt", (Slot(1), SLOT0)),
                              Fn("eq", (SLOT0, Const(1)))])


SOP_KINDS = ["leaf", "leaf", "map", "map", "seqmap", "ifelse3", "aggregate", "width", "best"]


@st.composite
def sops(draw, depth=3):
    """A random s-op over every node type, with random encodings and names."""
    kind = "leaf" if depth <= 0 else draw(st.sampled_from(SOP_KINDS))
    if kind == "leaf":
        return draw(leaves)
    if kind == "map":
        node = Map(draw(map_fns), draw(sops(depth - 1)), encoding=draw(encodings))
    elif kind == "seqmap":
        node = SequenceMap(draw(pair_fns), draw(sops(depth - 1)), draw(sops(depth - 1)),
                           encoding=draw(encodings))
    elif kind == "ifelse3":
        node = SequenceMap(Fn("ifelse", (SLOT0, Slot(1), Slot(2))),
                           *[draw(sops(depth - 1)) for _ in range(3)], encoding=draw(encodings))
    elif kind == "aggregate":
        node = Aggregate(draw(selectors(depth - 1)), draw(sops(depth - 1)), draw(atoms),
                         encoding=draw(encodings))
    elif kind == "best":
        score = draw(st.one_of(st.none(), sops(depth - 1)))
        node = AggregateBest(draw(selectors(depth - 1)), draw(sops(depth - 1)), score,
                             draw(st.one_of(st.none(), atoms)), draw(st.booleans()),
                             encoding=draw(encodings))
    else:
        node = SelectorWidth(draw(selectors(depth - 1)), encoding=draw(encodings))
    return _named(node, draw(names))


@st.composite
def selectors(draw, depth=2):
    """A random selector: selects combined with and/or/not."""
    kind = draw(st.sampled_from(["select", "select", "and", "or", "not"])) if depth > 0 \
        else "select"
    if kind == "select":
        node = Select(draw(sops(depth - 1)), draw(sops(depth - 1)), draw(predicates))
    elif kind == "not":
        node = SelectorNot(draw(selectors(depth - 1)))
    else:
        cls = SelectorAnd if kind == "and" else SelectorOr
        node = cls(draw(selectors(depth - 1)), draw(selectors(depth - 1)))
    return _named(node, draw(names))


@st.composite
def shared(draw):
    """Programs that reuse a sub-program (a DAG, not a tree)."""
    base = draw(sops(2))
    sel = Select(base, draw(sops(1)), draw(predicates))
    return SequenceMap(binary(draw(binary_ops)), Aggregate(sel, base, 0, encoding=None), base,
                       encoding=draw(encodings))


programs = st.one_of(sops(), selectors(), shared(), sops().map(causal))


@given(programs)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rasp_round_trip_is_structural_and_evaluates_equal(program):
    back = reparse(program)
    assert back == program, to_rasp(program)
    assert outputs(back) == outputs(program)


@given(programs)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_python_round_trip_is_structural_and_evaluates_equal(program):
    back = reexec(program)
    assert back == program, to_python(program)
    assert outputs(back) == outputs(program)


@given(programs)
@settings(max_examples=100, deadline=None)
def test_rasp_expr_never_raises(program):
    assert isinstance(to_rasp_expr(program), str)


# --- readability and specific forms ------------------------------------------------------------
def test_reverse_reads_like_the_paper():
    reverse = parse("flip = select(indices, length - indices - 1, ==);"
                    "r = aggregate(flip, tokens);", prelude=False).last
    assert to_rasp(reverse, "reverse") == (
        "flip = select(indices, length - indices - 1, ==);\n"
        "reverse = aggregate(flip, tokens, 0);\n")


def test_invented_names_for_selects_aggregates_and_shared_nodes():
    shifted = Map(Fn("add", (SLOT0, Const(1))), indices, encoding=None)
    prev = Aggregate(Select(indices, shifted, EQ), tokens, "_", encoding=None)
    both = SequenceMap(binary("add"), prev, SequenceMap(binary("mul"), shifted, shifted,
                                                         encoding=None), encoding=None)
    text = to_rasp(both, "out")
    assert text == ("add_1 = indices + 1;\n"
                    "sel_1 = select(indices, add_1, ==);\n"
                    'agg_1 = aggregate(sel_1, tokens, "_");\n'
                    "out = agg_1 + add_1 * add_1;\n")


def test_parentheses_follow_rasp_precedence():
    a = Map(Fn("sub", (SLOT0, Const(1))), indices, encoding=None)
    prog = Map(Fn("pow", (Const(2), SLOT0)), Map(Fn("mod", (SLOT0, Const(3))), a, encoding=None),
               encoding=None)
    assert to_rasp(prog).endswith("program = 2 ^ ((indices - 1) % 3);\n")
    neg = Map(unary("neg"), Map(Fn("pow", (SLOT0, Const(2))), indices, encoding=None),
              encoding=None)
    assert to_rasp(neg) == "program = -(indices ^ 2);\n"  # -indices^2 would be (-indices)^2
    assert reparse(neg) == neg


def test_annotations_tables_and_strings():
    prog = numerical(Aggregate(select(indices, indices, LE),
                               Map(Fn.table({"a": 1, "b": 0}), tokens, encoding=None), 0,
                               encoding=NUMERICAL))
    text = to_rasp(prog)
    assert 'numerical(aggregate(sel_1, {"a": 1, "b": 0}[tokens], 0))' in text
    quoted = Map(Fn("add", (SLOT0, Const('say "hi"\n'))), tokens, encoding=None)
    assert 'chr(34)' in to_rasp(quoted) and reparse(quoted) == quoted
    assert evaluate(reparse(quoted), ["a"]) == [['asay "hi"\n']]


def test_python_embedding_defaults_print_cleanly():
    prog = Aggregate(select(tokens, tokens, LT), indices)  # Tracr-style default None
    code = to_python(prog, "out")
    assert code.startswith("from rasplab.lang import *\n")
    assert "default=None, encoding=CATEGORICAL" in code
    assert reexec(prog, "out") == prog and reparse(prog) == prog


def test_opaque_python_function_is_unprintable_but_describable():
    prog = Map(lambda x: x * 2, indices).named("double")
    with pytest.raises(UnprintableError, match="Python function <lambda>"):
        to_rasp(prog)
    with pytest.raises(UnprintableError):
        to_python(prog)
    assert to_rasp_expr(prog) == "<lambda>(indices)"
    assert to_rasp_expr(Aggregate(select(indices, 0, EQ), prog)) .startswith("aggregate(")


def test_bad_program_name_is_rejected():
    with pytest.raises(UnprintableError, match="cannot name"):
        to_rasp(tokens, "select")


def test_name_collisions_are_renamed():
    a = Map(Fn("add", (SLOT0, Const(1))), indices, encoding=None).named("select")
    b = Map(Fn("add", (SLOT0, Const(2))), indices, encoding=None).named("select")
    prog = SequenceMap(binary("mul"), a, b, encoding=None)
    text = to_rasp(prog)
    assert "select_1 = indices + 1;" in text and "select_2 = indices + 2;" in text
    assert reparse(prog) == prog


def test_rasp_expr_names_named_parts_and_stays_short():
    flip = select(indices, length - indices - 1, EQ).named("flip")
    assert to_rasp_expr(Aggregate(flip, tokens)) == "aggregate(flip, tokens, None)"
    deep = indices
    for i in range(30):
        deep = deep + i
    assert "..." in to_rasp_expr(deep) and len(to_rasp_expr(deep)) < 120
