"""The `Model` protocol: a whole model is read with its attention, an object with `predict`
alone is a black box that needs its vocabulary and length from the caller."""
from __future__ import annotations

import numpy as np
import pytest

from rasplab.distill.oracle import Model, as_oracle
from rasplab.errors import RaspLabError


class Whole:
    vocab = ("a", "b")
    max_len = 4
    task = "reverse"

    def predict(self, inputs):
        return [list(reversed(x)) for x in inputs]

    def attention(self, inputs):  # one head that looks at the mirrored position
        return {"blocks.0.attn.hook_pattern": [
            np.eye(len(x) + 1)[None, :, ::-1] for x in inputs]}


class Partial:
    def predict(self, inputs):
        return [list(x) for x in inputs]


def test_whole_model_gives_outputs_and_attention():
    model = Whole()
    assert isinstance(model, Model)
    oracle = as_oracle(model)
    assert oracle.vocab == ("a", "b") and oracle.max_len == 4 and oracle.task == "reverse"
    assert oracle([list("ab")]) == [["b", "a"]]
    patterns = oracle.attention([list("abb")])
    assert list(patterns) == ["blocks.0.attn.hook_pattern[0]"]
    assert patterns["blocks.0.attn.hook_pattern[0]"][0].shape == (3, 3)


def test_partial_model_is_a_black_box():
    model = Partial()
    assert not isinstance(model, Model)
    with pytest.raises(RaspLabError, match="vocabulary and maximum length are unknown"):
        as_oracle(model)
    oracle = as_oracle(model, vocab="ab", max_len=3)
    assert oracle.attention([list("ab")]) is None and oracle([list("ab")]) == [["a", "b"]]
