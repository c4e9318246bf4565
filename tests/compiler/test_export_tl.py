"""TransformerLens export: the HookedTransformer computes the same outputs and attention."""
import pytest
import torch

from rasplab.compiler import compile_program

from .agree import random_inputs
from .tracr_lib import TRACR_FAILURES, make_sort_freq

pytest.importorskip("transformer_lens", reason="TransformerLens is an optional extra")
from rasplab.compiler.export_tl import to_hooked_transformer  # noqa: E402


@pytest.mark.parametrize("name", ["sort_freq", "mean_with_default"])
def test_hooked_transformer_matches(name):
    if name == "sort_freq":
        program, vocab, max_len = make_sort_freq(5), list("abc"), 5
    else:
        example = next(e for e in TRACR_FAILURES if e.name == name)
        program, vocab, max_len = example.build(), example.vocab, example.max_len
    model = compile_program(program, vocab, max_len)
    hooked = to_hooked_transformer(model)
    for n in range(1, max_len + 1):
        inputs = [x for x in random_inputs(vocab, max_len, 60, seed=n) if len(x) == n]
        ids = model.encode(inputs)
        cache: dict = {}
        ours = model(ids, cache)
        with torch.no_grad():
            theirs, tl_cache = hooked.run_with_cache(ids)
        assert torch.allclose(ours, theirs, atol=1e-9)
        assert model.decode(theirs[:, 1:]) == model.predict(inputs)
        for layer in range(model.cfg.n_layers):
            key = f"blocks.{layer}.attn.hook_pattern"
            assert torch.allclose(cache[key], tl_cache[key], atol=1e-9)
