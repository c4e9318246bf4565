"""Model files (safetensors + metadata), the `compile` command, `run MODEL`, and the plot."""
import json

import pytest
import torch
from safetensors import safe_open

from rasplab.cli.main import main
from rasplab.compiler import compile_program, load_compiled, save_compiled
from rasplab.errors import ModelFileError
from rasplab.lang import tokens

from .agree import disagreements, random_inputs
from .tracr_lib import TRACR_FAILURES, make_reverse, shift_by


def test_save_load_round_trip(tmp_path):
    example = next(e for e in TRACR_FAILURES if e.name == "mean_with_default")
    program = example.build()
    model = compile_program(program, example.vocab, example.max_len)
    path = tmp_path / "m.safetensors"
    save_compiled(model, path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    assert meta["rasplab_kind"] == "compiled"
    assert json.loads(meta["vocab"]) == [0, 2, 3] and meta["max_len"] == "5"
    loaded = load_compiled(path)
    for name, p in model.state_dict().items():
        assert torch.equal(p, loaded.state_dict()[name])
    inputs = random_inputs(example.vocab, example.max_len, 100)
    assert loaded.predict(inputs) == model.predict(inputs)
    assert disagreements(loaded, program, inputs) == []


def test_none_and_tuple_outputs_survive_the_file(tmp_path):
    program = shift_by(1, tokens)
    model = compile_program(program, list("ab"), 4)
    save_compiled(model, tmp_path / "s.safetensors")
    loaded = load_compiled(tmp_path / "s.safetensors")
    assert loaded.predict(["abb"]) == [[None, "a", "b"]]


def test_foreign_files_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="no such"):
        load_compiled(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError):
        load_compiled(junk)


def test_compile_json_and_run_model(tmp_path, capsys):
    path = tmp_path / "rev.safetensors"
    assert main(["compile", "reverse", "--vocab", "a", "b", "c", "--max-len", "8", "-o",
                 str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("layers", "heads", "d_model", "params", "seconds"):
        assert key in doc
    assert doc["layers"] == 3 and doc["params"] == load_compiled(path).n_params()
    assert main(["run", str(path), "abc", "cabba", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x) for x in lines] == [list("cba"), list("abbac")]


def test_compile_prints_a_few_readable_lines(capsys):
    assert main(["compile", "reverse", "--vocab", "a", "b", "c", "--max-len", "8"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("reverse: 3 layers") and "d_model" in out[0]
    assert len(out) == 4 and out[3].lstrip().startswith("layer 2: attn [")


def test_compile_errors_are_one_line(tmp_path, capsys):
    source = tmp_path / "p.rasp"
    source.write_text('out = tokens == "a";\n')
    assert main(["compile", str(source), "--max-len", "4"]) == 2
    assert "--vocab" in capsys.readouterr().err
    assert main(["compile", str(source), "--vocab", "a", "b", "--max-len", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layers"] == 0
    assert main(["compile", "no_such_program", "--vocab", "a", "--max-len", "4"]) == 2


def test_plot_is_written(tmp_path, capsys):
    png = tmp_path / "layout.png"
    assert main(["compile", "reverse", "--vocab", "a", "b", "--max-len", "4", "--plot",
                 str(png), "--plot-input", "abb"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_attention_patterns_use_transformer_lens_names():
    model = compile_program(make_reverse(tokens), list("ab"), 4)
    outputs, patterns = model.predict(["aab"], return_patterns=True)
    assert outputs == [list("baa")]
    last = patterns[0]["blocks.2.attn.hook_pattern"][0]  # (queries, keys) with BOS first
    assert last.shape == (4, 4)
    assert [int(row.argmax()) for row in last[1:]] == [3, 2, 1]
