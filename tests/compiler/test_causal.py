"""Causal programs and best-value aggregates compiled: masked attention, `length` as the prefix
length, hard-attention heads; compiled(x) == causal evaluate(x) on random inputs."""
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rasplab.compiler import compile_program
from rasplab.errors import CompileError, RaspRuntimeError
from rasplab.lang import (
    EQ,
    GT,
    LE,
    LT,
    NE,
    TRUE,
    Aggregate,
    Map,
    SequenceMap,
    aggregate,
    aggregate_max,
    aggregate_min,
    causal,
    evaluate,
    indices,
    length,
    numerical,
    select,
    selector_width,
    tokens,
)
from rasplab.lang.library import get_program

from . import test_random_programs as random_programs
from .agree import disagreements, random_inputs, same

N_INPUTS = 200

is_x = numerical(Map(lambda t: 1 if t == "x" else 0, tokens))
count = selector_width(select(tokens, tokens, EQ))
#: (name, program, vocabulary, max_len)
PROGRAMS = [
    ("frac_prevs", causal(numerical(aggregate(select(indices, indices, LE), is_x, 0))),
     list("abx"), 6),
    ("hist", causal(get_program("hist")), list("abc"), 6),
    ("length", causal(length * 2), list("ab"), 5),
    ("reverse", causal(get_program("reverse")), list("abc"), 5),  # length inside a select
    ("running_max", causal(aggregate_max(select(tokens, tokens, TRUE), tokens)), [3, 1, 4, 2], 7),
    ("sort_next", causal(aggregate_min(select(tokens, tokens, GT), tokens, default="_")),
     list("abcd"), 6),
    ("majority", causal(aggregate_max(select(tokens, tokens, TRUE), tokens, score=count)),
     list("abc"), 7),  # many ties between counts: the earliest key wins
    ("latest_max", causal(aggregate_max(select(tokens, tokens, TRUE), indices, default=-1,
                                        score=tokens)), [0, 1, 2], 10),
    ("best_plain", aggregate_min(select(tokens, tokens, NE), indices, default=-1, score=tokens),
     list("abc"), 6),
    ("best_then_select", causal(selector_width(select(
        aggregate_max(select(indices, indices, LT), tokens, default="a"), tokens, EQ))),
     list("abc"), 6),
    ("numerical_score", causal(aggregate_min(
        select(tokens, tokens, TRUE), tokens,
        score=numerical(aggregate(select(tokens, tokens, EQ), numerical(indices * 1), 0)))),
     list("ab"), 5),
]


@pytest.mark.parametrize("name, program, vocab, max_len", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_compiled_causal_programs_agree(name, program, vocab, max_len):
    model = compile_program(program, vocab, max_len)
    assert model.cfg.causal == (name != "best_plain")
    inputs = random_inputs(vocab, max_len, N_INPUTS, seed=5)
    assert disagreements(model, program, inputs) == []


def test_the_mask_is_what_makes_it_agree():
    """The same weights without the mask compute the plain program, not the causal one."""
    program = causal(get_program("hist"))
    model = compile_program(program, list("ab"), 5)
    for block in model.blocks:
        block.attn.causal = False
    inputs = random_inputs(list("ab"), 5, 50, seed=1)
    assert model.predict(inputs) == evaluate(get_program("hist"), inputs)
    assert disagreements(model, program, inputs) != []


def test_length_compiles_as_the_prefix_length():
    model = compile_program(causal(length + 0), list("ab"), 4)
    assert model.predict(["abab", "b"]) == [[1, 2, 3, 4], [1]]


def test_scores_that_do_not_compare_are_refused_naming_the_node():
    mixed = SequenceMap(lambda t, i: t if i else 0, tokens, indices)
    program = aggregate_max(select(tokens, tokens, TRUE), tokens, score=mixed).named("pick")
    with pytest.raises(CompileError, match="scores of 'pick' do not compare"):
        compile_program(program, list("ab"), 3)


def test_a_plain_program_compiles_as_before():
    model = compile_program(Aggregate(select(tokens, tokens, EQ), indices, 0), list("ab"), 3)
    assert not model.cfg.causal


@st.composite
def causal_programs(draw):
    """The random-program generator's s-ops and best aggregates over them, all made causal."""
    sort = draw(st.sampled_from(["int", "str"]))
    if draw(st.booleans()):
        body = draw(random_programs.sops(sort, 3))
    else:
        best = aggregate_max if draw(st.booleans()) else aggregate_min
        score = draw(random_programs.sops(draw(st.sampled_from(["int", "str"])), 1))
        body = best(draw(random_programs.selectors(2)), draw(random_programs.sops(sort, 2)),
                    default="-" if sort == "str" else -1, score=score)
    return causal(body)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(causal_programs())
def test_random_causal_programs_compile_exactly(program):
    try:
        model = compile_program(program, random_programs.VOCAB, random_programs.MAX_LEN)
    except CompileError as exc:  # a refusal must name what it refuses
        assert " at '" in str(exc) or "scores of" in str(exc)
        assume(False)
    defined, wanted = [], []
    for x in random_programs.ALL_INPUTS:
        try:
            wanted.append(evaluate(program, [x])[0])
            defined.append(x)
        except RaspRuntimeError:
            continue
    assume(defined)
    for x, got, want in zip(defined, model.predict(defined), wanted):
        assert all(same(a, b) for a, b in zip(got, want)), (x, got, want)
