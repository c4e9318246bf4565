"""A causal program through the whole toolchain: `.rasp` source -> compiled model -> model file ->
`rasplab run` and `load_compiled`, which keep the causal mask and agree with the evaluator."""
import json

from safetensors import safe_open

from rasplab.cli.main import main
from rasplab.compiler import compile_program, load_compiled, save_compiled
from rasplab.lang import evaluate, load_program
from rasplab.lang.sexpr import from_sexpr

from .agree import disagreements, random_inputs

SOURCE = """causal;
prev_max = aggregate_max(select(indices, indices, <), tokens, "-");
seen = selector_width(select(tokens, tokens, ==));
out = prev_max + tokens if seen > 1 else tokens;
"""


def test_causal_source_compiles_saves_and_runs(tmp_path, capsys):
    src = tmp_path / "running.rasp"
    src.write_text(SOURCE)
    program = load_program(src)
    vocab = list("abc")
    model = compile_program(program, vocab, 6)
    inputs = random_inputs(vocab, 6, 150, seed=9)
    assert disagreements(model, program, inputs) == []

    path = tmp_path / "running.safetensors"
    save_compiled(model, path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    assert meta["causal"] == "1" and json.loads(meta["config"])["causal"] is True
    loaded = load_compiled(path)
    assert loaded.cfg.causal and from_sexpr(loaded.cfg.program) == program
    assert disagreements(loaded, program, inputs) == []

    assert main(["run", str(path), "--json", "abcab"]) == 0
    assert main(["run", str(src), "--json", "abcab"]) == 0
    from_model, from_source = capsys.readouterr().out.splitlines()
    assert json.loads(from_model) == json.loads(from_source) == evaluate(program, ["abcab"])[0]

    cli_model = tmp_path / "cli.safetensors"
    assert main(["compile", str(src), "--vocab", "a", "b", "c", "--max-len", "6", "--json",
                 "-o", str(cli_model)]) == 0
    assert json.loads(capsys.readouterr().out)["causal"] is True
    assert load_compiled(cli_model).predict(inputs) == model.predict(inputs)


def test_a_compiled_causal_program_distils_back_to_an_equivalent_causal_program():
    """Round trip: causal hist compiled with masked attention, then distilled from the model,
    comes back causal and equal to the source on every input up to the model's length."""
    import itertools

    from rasplab.distill import distill
    from rasplab.lang import EQ, causal, select, selector_width, tokens
    from rasplab.lang.ast import is_causal

    source = causal(selector_width(select(tokens, tokens, EQ)))
    vocab = list("abc")
    model = compile_program(source, vocab, 5)
    result = distill(model, n=200, budget=30, held_out=200)
    assert is_causal(result.program)
    every = [list(p) for k in range(1, 6) for p in itertools.product(vocab, repeat=k)]
    assert evaluate(result.program, every) == evaluate(source, every)
