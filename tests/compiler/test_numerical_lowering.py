"""Linear combinations of numerical s-ops as residual functionals, and comparisons of them with
constants as step MLPs: exact against the interpreter, and the small form is the one used."""
import importlib.util
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasplab.compiler import compile_program
from rasplab.lang import LE, LT, TRUE, Aggregate, Fn, Map, Select, SequenceMap, indices, tokens
from rasplab.lang.functions import SLOT0, binary
from rasplab.lang.parser import load_program, parse_file

from .agree import disagreements, random_inputs

ROOT = Path(__file__).resolve().parents[2]

FRAC_PREVS = """
def frac_prevs(bools) {
    return numerical(aggregate(select(indices, indices, <=), numerical(bools), 0));
}
"""


def _mlp_units(model, kind: str) -> list[int]:
    return [r["units"] for r in model.cfg.layout if r["block"] == "mlp" and r["kind"] == kind]


def test_plain_pair_balance_is_one_functional_and_exact():
    """The issue's spelling: the subtraction unannotated. It folds (no table MLP at all) and
    fits in Tracr's d_model for the same program (18 at vocabulary ( ) and max_len 8)."""
    program = load_program(FRAC_PREVS + 'pb = frac_prevs(tokens == "(") - '
                           'frac_prevs(tokens == ")");')
    model = compile_program(program, ["(", ")"], 8)
    assert model.cfg.d_model <= 18
    assert _mlp_units(model, "table") == [] and _mlp_units(model, "lookup") == []
    assert not disagreements(model, program, random_inputs("()", 8, 300, seed=1))


def test_comparisons_with_constants_are_small_step_mlps():
    """x < 0, x > c and x == c on a folded balance: two ReLUs per place where the answer
    changes between neighbouring known values (2, 2 and 4 units), exact on every input."""
    balance = FRAC_PREVS + 'b = frac_prevs(tokens == "(") - frac_prevs(tokens == ")");'
    for test, units in [("b < 0", 2), ("b > 0.25", 2), ("b == 0", 4)]:
        program = load_program(balance + f"out = {test};")
        model = compile_program(program, ["(", ")", "x"], 6)
        assert _mlp_units(model, "lookup") == [units], test
        assert _mlp_units(model, "table") == [], test
        assert not disagreements(model, program, random_inputs("()x", 6, 300, seed=2)), test


def test_categorical_annotation_still_folds_linear_maps():
    """Python-embedding nodes default to categorical; a + b, c * a and a + c of numerical
    aggregates still fold, and their ints/bools come back exactly when decoded."""
    prevs = Select(indices, indices, LE)
    a = Aggregate(prevs, Map(Fn.table({"a": 1, "b": 0, "c": 0}), tokens).annotated(None),
                  0, encoding=None)
    b = Aggregate(Select(indices, indices, LT), Map(Fn.table({"a": 0, "b": 2, "c": 1}),
                                                    tokens).annotated(None), 0, encoding=None)
    for program in [a + b, 3 * a, a + 2, (a - b) * 2 + 1, (a + b) > 0.5]:
        model = compile_program(program, ["a", "b", "c"], 5)
        assert _mlp_units(model, "table") == [], program
        assert not disagreements(model, program, random_inputs("abc", 5, 200, seed=3))


def test_table_kept_where_it_is_smaller():
    """Two categorical 0/1 s-ops of different bases: their sum's table (2 units) beats a fold
    and a one-hot view (4 units), so the table stays; the result is exact either way."""
    x = Map(Fn.table({"a": 0, "b": 1, "c": 0}), tokens)
    s = SequenceMap(binary("add"), x, indices)
    program = Aggregate(Select(s, indices, LT), tokens, "none")  # read as a categorical key
    model = compile_program(program, ["a", "b", "c"], 2)
    assert _mlp_units(model, "table") == [2]
    assert not disagreements(model, program, random_inputs("abc", 2, 50, seed=4))


# --- property: random linear combinations and comparisons, unannotated as in .rasp ----------
MEANS = [
    Aggregate(Select(indices, indices, LE), Map(Fn.table({"a": 1, "b": 0, "c": 0}), tokens,
                                                encoding=None), 0, encoding=None),
    Aggregate(Select(indices, indices, TRUE), Map(Fn.table({"a": 0, "b": 1, "c": 2}), tokens,
                                                  encoding=None), 0, encoding=None),
    Aggregate(Select(tokens, tokens, LT), Map(Fn.table({"a": 0, "b": 1, "c": -1}), tokens,
                                              encoding=None), 0.5, encoding=None),
]
ALL_INPUTS = [list(p) for n in range(1, 5) for p in itertools.product("abc", repeat=n)]


@st.composite
def combos(draw, depth=2):
    """An unannotated linear combination of means: sums, differences, scalings, offsets."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(MEANS))
    kind = draw(st.sampled_from(["add", "sub", "scale", "offset"]))
    left = draw(combos(depth - 1))
    if kind in ("add", "sub"):
        return SequenceMap(binary(kind), left, draw(combos(depth - 1)), encoding=None)
    c = draw(st.sampled_from([-2, -1, 0.5, 3]))
    return Map(Fn.of("mul" if kind == "scale" else "add", SLOT0, c), left, encoding=None)


def test_fold_undone_where_float_rounding_matters():
    """(m0 + m1) - m0 is m1 to the model but not always to the interpreter's floats, and
    `== 0.5` tells the two apart: the fold is undone into exact tables instead of refusing."""
    inner = SequenceMap(binary("add"), MEANS[0], MEANS[1], encoding=None)
    outer = SequenceMap(binary("sub"), inner, MEANS[0], encoding=None)
    program = Map(Fn.of("eq", SLOT0, 0.5), outer, encoding=None)
    model = compile_program(program, ["a", "b", "c"], 4)
    assert _mlp_units(model, "table")  # the folds that could not stand became tables
    assert not disagreements(model, program, ALL_INPUTS)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(combos(), st.sampled_from(["lt", "gt", "eq", "none"]), st.sampled_from([0, 0.5, 1]))
def test_random_linear_combinations_compile_exactly(combo, test, c):
    program = combo if test == "none" else Map(Fn.of(test, SLOT0, c), combo, encoding=None)
    model = compile_program(program, ["a", "b", "c"], 4)  # never refused: tables back folds up
    assert not disagreements(model, program, ALL_INPUTS)


# --- the benchmark's Tracr-style programs ----------------------------------------------------
def _bench():
    spec = importlib.util.spec_from_file_location("bench_compiler",
                                                  ROOT / "benchmarks" / "bench_compiler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", list(_bench().TRACR_STYLE))
def test_tracr_style_programs_fit_tracrs_d_model(name):
    bench = _bench()
    program = parse_file(bench.STYLE_FILE)[name]
    vocab = bench.TRACR_STYLE[name]
    model = compile_program(program, vocab, bench.STYLE_LEN)
    assert model.cfg.d_model <= bench.TRACR_MEASURED[bench.TRACR_OF.get(name, name)][0]
    assert not disagreements(model, program, random_inputs(vocab, bench.STYLE_LEN, 100, seed=5))
