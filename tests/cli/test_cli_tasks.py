"""`rasplab tasks` and `rasplab data`: the task list and examples files from the command line."""
import json

from rasplab.cli.main import main
from rasplab.tasks import get_task, list_tasks, load_examples, make_dataset


def test_tasks_lists_every_task(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    for t in list_tasks():
        assert t.name in out
    assert main(["tasks", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in doc] == [t.name for t in list_tasks()]
    assert doc[0]["vocab"] == list(get_task(doc[0]["name"]).vocab)
    assert main(["tasks", "--suite", "paper", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 7


def test_data_writes_a_labelled_seeded_file(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    assert main(["data", "sort", "--n", "30", "--max-len", "5", "--seed", "4", "-o", str(path),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 30 and summary["max_len"] <= 5
    examples = load_examples(path)
    assert all(list(e.output) == sorted(e.input) for e in examples)
    assert examples == make_dataset("sort", 30, seed=4, max_len=5)
    again = tmp_path / "e.jsonl"
    assert main(["data", "sort", "--n", "30", "--max-len", "5", "--seed", "4", "-o",
                 str(again)]) == 0
    assert again.read_text() == path.read_text()
    capsys.readouterr()
    assert main(["data", "dyck1", "--n", "4"]) == 0  # no -o: JSONL on stdout
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all("output" in json.loads(s) for s in lines)


def test_data_errors_exit_2(capsys):
    assert main(["data", "nope", "--n", "3"]) == 2
    assert "unknown task 'nope'" in capsys.readouterr().err
    assert main(["data", "hist", "--n", "0"]) == 2
    assert main(["data", "hist", "--n", "3", "--max-len", "0"]) == 2
