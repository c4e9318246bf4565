"""The one ruler for equal outputs and the one value key (`rasplab.lang.values`), and the
settings each stage uses (bottom-up search, NEAR, distillation, table values)."""
from __future__ import annotations

import math

from rasplab.distill.verify import same_output
from rasplab.lang.values import ANY, is_number, outputs_equal, same_value, value_key


def test_value_key_keeps_kinds_apart_and_nans_together():
    keys = {value_key(v) for v in (1, 1.0, True, "1", None)}
    assert len(keys) == 5
    assert value_key(float("nan")) == value_key(math.nan)
    assert value_key(2) == value_key(2) and value_key("a") != value_key("b")


def test_is_number_excludes_bools():
    assert is_number(3) and is_number(2.5) and not is_number(True) and not is_number("3")


def test_the_ruler():
    assert same_value(0.1 + 0.2, 0.3) and same_value(1, 1.0)
    assert not same_value(1, True) and not same_value("1", 1) and not same_value(None, 0)
    assert same_value(None, None) and not same_value(0.3, 0.3001)
    assert same_value(ANY, "x") and same_value(5, ANY)
    assert same_value([1, "a"], [1.0, "a"]) and not same_value([1], (1,))
    assert not same_value(math.nan, math.nan)


def test_settings_of_the_call_sites():
    # bottom-up search: plain == between non-floats, but a float never equals a bool
    assert same_value(1, True, strict_type=False) and not same_value(1.0, True, strict_type=False)
    # NEAR: booleans count as numbers
    assert same_value(1.0, True, bools_are_numbers=True, strict_type=False)
    # distillation: 1e-6, booleans as numbers, otherwise same type
    assert same_value(1.0, 1.0 + 5e-7, tol=1e-6) and not same_value(1.0, 1.0 + 5e-7)
    assert same_value(True, 1, tol=1e-6, bools_are_numbers=True)
    # table values: exact and typed
    assert not same_value(1, 1.0, tol=None) and same_value(2, 2, tol=None)
    assert not same_value(1.0, 1.0 + 1e-12, tol=None)


def test_outputs_equal():
    assert outputs_equal(["a", 2], ["a", 2.0]) and not outputs_equal(["a"], ["a", "b"])
    assert not outputs_equal(None, ["a"]) and not outputs_equal(["a"], None)
    assert same_output([True, 1.0000001], [1, 1.0]) and not same_output(["1"], [1])
