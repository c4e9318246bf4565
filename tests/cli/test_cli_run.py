"""`rasplab run`: outputs in order, both views, and one-line errors (exit 2) for bad input."""
import json
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import save_file

from rasplab.cli.main import main
from rasplab.tasks import get_task, make_dataset, write_examples


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasplab.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_human_and_json_views_keep_input_order(capsys):
    assert main(["run", "rotate", "hello", "ab", '["a", "b", "c"]']) == 0
    assert capsys.readouterr().out.splitlines() == ["hello -> e l l o h", "ab -> b a",
                                                    "abc -> b c a"]
    assert main(["run", "prefix_count", "--json", "abaa", "b"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(s) for s in lines] == [[1, 1, 2, 3], [0]]


def test_rasp_files_library_and_task_programs(tmp_path, capsys):
    src = tmp_path / "p.rasp"
    src.write_text("flip = select(indices, length - indices - 1, ==);\n"
                   "rev = aggregate(flip, tokens);\n"
                   "h = selector_width(select(tokens, tokens, ==));\n")
    assert main(["run", str(src), "hello"]) == 0  # the last assigned s-op
    assert main(["run", f"{src}:rev", "hello"]) == 0
    assert main(["run", "reverse", "hello", "--json"]) == 0  # a task name
    assert main(["run", "sort_unique", "cab"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["hello -> 1 1 2 2 1", "hello -> o l l e h", '["o", "l", "l", "e", "h"]',
                   "cab -> a b c"]


def test_examples_file_runs_every_input(tmp_path, capsys):
    data = make_dataset("majority", 40, seed=5)
    path = tmp_path / "m.jsonl"
    write_examples(path, [e.input for e in data], [e.output for e in data])
    assert main(["run", "majority", "--examples", str(path), "--json"]) == 0
    got = [json.loads(s) for s in capsys.readouterr().out.splitlines()]
    assert got == [list(e.output) for e in data]


def test_examples_file_of_inputs_only(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_text('["a", "b", "c"]\n\n{"input": ["c", "a"]}\n{"input": ["b"], "output": [0]}\n')
    assert main(["run", "reverse", "--examples", str(path), "--json"]) == 0
    assert [json.loads(s) for s in capsys.readouterr().out.splitlines()] == \
        [["c", "b", "a"], ["a", "c"], ["b"]]
    assert main(["run", "reverse", "--examples", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["abc -> c b a", "ca -> a c", "b -> b"]


def test_errors_are_one_line_with_exit_2(tmp_path):
    cases = {
        ("run", "no_such_program", "abc"): "no_such_program",
        ("run", "majority", "abz"): "token 'z' at position 2",
        ("run", "majority", '["a", 7]'): "token 7 at position 1",
        ("run", "majority", "[1, 2"): "not a valid JSON list",
        ("run", str(tmp_path / "gone.safetensors"), "ab"): "no such model file",
        ("run", str(tmp_path / "gone.rasp"), "ab"): "no such .rasp file",
        ("run", "majority", "--examples", str(tmp_path / "none.jsonl")): "no such examples",
        ("run", "majority"): "no inputs",
    }
    broken = tmp_path / "broken.rasp"
    broken.write_text("a = select(indices,, ==);\n")
    cases[("run", str(broken), "ab")] = "broken.rasp:1:"
    cases[("run", f"{broken}:zzz", "ab")] = "broken.rasp"
    cases[("run", "rotate", "hellz")] = "token 'z' at position 4 is not in the vocabulary"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    cases[("run", "reverse", "--examples", str(empty))] = "empty.jsonl: no examples"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": ["a"], "output": ["a"]}\n{"input": ["a", "b"], "output": [1]}\n')
    cases[("run", "majority", "--examples", str(bad))] = r"bad.jsonl:2: input has 2 tokens"
    bare = tmp_path / "bare.jsonl"
    bare.write_text('["a"]\n\n["a", 1.5]\n')
    cases[("run", "majority", "--examples", str(bare))] = "bare.jsonl:3: input token 1 is 1.5"
    for args, message in cases.items():
        r = cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stdout == ""
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, r.stderr)
        assert "Traceback" not in r.stderr


def test_library_programs_run_on_any_tokens(capsys):
    """Only a model has a vocabulary: `reverse` is a task too, but the name runs the program."""
    assert main(["run", "reverse", "abcf", "[1, 2, 3]"]) == 0
    assert capsys.readouterr().out.splitlines() == ["abcf -> f c b a", "[1, 2, 3] -> 3 2 1"]
    assert main(["run", "hist", "--json", "zzq"]) == 0
    assert json.loads(capsys.readouterr().out) == [2, 2, 1]


def test_foreign_safetensors_file_is_a_model_file_error(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"w": np.zeros(3, dtype=np.float32)}, str(path), metadata={"rasplab_kind": "x"})
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    for p, message in ((path, "not a rasplab model file"), (junk, "not a readable")):
        r = cli("run", str(p), "ab")
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.splitlines()) == 1


def test_task_vocabulary_check_uses_the_task(capsys):
    task = get_task("first")
    with pytest.raises(Exception, match="position 0"):
        task.check_input(["Q"])
    assert main(["run", "first", "hello" * 3]) == 0  # longer than max_len is fine for a program
    assert capsys.readouterr().out.strip().endswith("h " * 14 + "h")


def test_model_files_run_through_their_own_predict(tmp_path, capsys):
    import torch

    from rasplab.compiler import compile_program, save_compiled
    from rasplab.lang.library import get_program
    from rasplab.models import TrainedModel, Transformer, TransformerConfig, save_model

    compiled = tmp_path / "rev.safetensors"
    save_compiled(compile_program(get_program("reverse"), list("abc"), 5), compiled)
    assert main(["run", str(compiled), "abc", "cab", "--json"]) == 0
    assert capsys.readouterr().out.splitlines() == ['["c", "b", "a"]', '["b", "a", "c"]']

    torch.manual_seed(0)
    net = Transformer(TransformerConfig(n_tokens=5, n_out=3, n_ctx=6, d_model=8, n_layers=1,
                                        n_heads=1, d_mlp=8))
    model = TrainedModel(net, tuple("abc"), (0, 1, 2), task="hist", max_len=5)
    trained = tmp_path / "hist.safetensors"
    save_model(model, trained)
    xs = ["abca", "cc"]
    assert main(["run", str(trained), *xs, "--json"]) == 0
    got = [json.loads(s) for s in capsys.readouterr().out.splitlines()]
    assert got == model.predict([list(x) for x in xs])
    r = cli("run", str(trained), "abz")
    assert r.returncode == 2 and "'z' at position 2" in r.stderr


def test_causal_rasp_file_runs_causally(tmp_path, capsys):
    src = tmp_path / "running.rasp"
    src.write_text("causal;\n"
                   "hist = selector_width(select(tokens, tokens, ==));\n"
                   "biggest = aggregate_max(select(tokens, tokens, TRUE), tokens);\n")
    assert main(["run", str(src), "acbab"]) == 0
    assert main(["run", f"{src}:hist", "--json", "abab"]) == 0
    assert capsys.readouterr().out.splitlines() == ["acbab -> a c c c c", "[1, 1, 2, 2]"]
