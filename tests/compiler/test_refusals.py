"""What cannot be compiled exactly is refused with CompileError naming the node and the reason."""
import pytest

from rasplab.compiler import compile_program
from rasplab.errors import CompileError, RaspLabError
from rasplab.lang import EQ, LE, TRUE, Aggregate, Map, Select, indices, numerical, select, tokens


def test_selector_program_is_refused():
    with pytest.raises(CompileError, match="selector"):
        compile_program(select(tokens, tokens, EQ), list("ab"), 3)


def test_numerical_aggregate_of_strings_is_refused_naming_the_node():
    program = numerical(Aggregate(Select(indices, indices, LE), tokens, default=0)).named("bad")
    with pytest.raises(CompileError, match="non-numeric value .* 'bad'"):
        compile_program(program, list("ab"), 3)


def test_mean_with_none_default_is_refused():
    program = numerical(Aggregate(Select(indices, indices, LE), numerical(tokens.eq("a")),
                                  default=None)).named("avg")
    with pytest.raises(CompileError, match="default None at 'avg'"):
        compile_program(program, list("ab"), 3)


def test_unannotated_aggregate_mixing_numbers_and_strings_is_refused():
    mixed = Map(lambda t: 1 if t == "a" else "z", tokens)
    program = Aggregate(Select(tokens, tokens, TRUE), mixed, default=0, encoding=None)
    with pytest.raises(CompileError, match="mixes numbers"):
        compile_program(program, list("ab"), 3)


def test_values_too_close_for_float64_are_refused():
    program = numerical(Map(lambda t: {"a": 0.0, "b": 1e-13}[t], tokens)).named("tiny")
    mean = numerical(Aggregate(Select(indices, indices, LE), program, default=0))
    with pytest.raises(CompileError, match="too close"):
        compile_program(Map(lambda m: m > 0, mean), list("ab"), 3)


def test_bad_arguments_are_compile_errors():
    with pytest.raises(CompileError, match="empty"):
        compile_program(tokens, [], 3)
    with pytest.raises(CompileError, match="max_len"):
        compile_program(tokens, ["a"], 0)


def test_inputs_outside_the_model_are_clear_errors():
    model = compile_program(tokens, list("ab"), 3)
    with pytest.raises(RaspLabError, match="length 4"):
        model.predict(["abab"])
    with pytest.raises(RaspLabError, match="token 'z'"):
        model.predict(["az"])
