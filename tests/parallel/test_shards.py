"""Sharded search: the first solved shard wins and the others are cancelled, on both back ends;
with no solution the most accurate shard's program comes back; the CLI's --shards."""
from __future__ import annotations

import json
import time

import pytest

from rasplab.cli.main import main
from rasplab.errors import RaspLabError
from rasplab.lang import evaluate
from rasplab.lang.sexpr import from_sexpr
from rasplab.parallel import InlineExecutor
from rasplab.synth.shards import sharded_synthesize
from rasplab.tasks import get_task, write_examples

EXAMPLES = [(["a", "b"], ["b", "a"]), (["a", "b", "c"], ["c", "b", "a"])]


def test_first_solution_wins_and_cancels_the_rest(backend):
    start = time.monotonic()
    with backend(2) as ex:
        result = sharded_synthesize(EXAMPLES, shards=2, method="jobs:fake_shard", budget=30,
                                    executor=ex)
        assert not ex.busy
    assert result.solved and result.source == "program = tokens;\n"
    assert result.stats["shard"] == [1, 2] and result.stats["failed_shards"] == 0
    assert time.monotonic() - start < 20  # shard 0 would have slept 30 s


def test_no_solution_keeps_the_most_accurate_and_counts_failures():
    result = sharded_synthesize(EXAMPLES, shards=3, method="jobs:fake_unsolved", budget=1,
                                executor=InlineExecutor())
    assert not result.solved and result.accuracy == pytest.approx(0.1)
    assert result.stats["shard"] == [1, 3] and result.stats["failed_shards"] == 1
    assert result.candidates == 10 + 11


def test_every_shard_failing_is_an_error():
    with pytest.raises(RaspLabError, match="every shard failed"):
        sharded_synthesize(EXAMPLES, shards=1, method="jobs:fake_unsolved", budget=1,
                           executor=InlineExecutor())


def test_cli_shards_find_reverse(tmp_path, capsys):
    path = tmp_path / "reverse.jsonl"
    task = get_task("reverse")
    xs = task.sample(30, 1)
    write_examples(path, xs, task.outputs(xs))
    assert main(["synth", "--examples", str(path), "--shards", "2", "--timeout", "20",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["solved"]
    fresh = task.sample(20, 99)
    program = from_sexpr(doc["sexpr"])
    assert [list(y) for y in evaluate(program, fresh)] == task.outputs(fresh)
    assert main(["synth", "--examples", str(path), "--shards", "0"]) == 2
    assert "--shards" in capsys.readouterr().err
