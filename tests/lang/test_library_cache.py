"""The library's on-disk cache of parsed programs: same program as a fresh parse, never stale."""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from rasplab.lang import evaluate, library
from rasplab.lang.parser import load_program


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RASPLAB_CACHE", str(tmp_path))
    library.get_program.cache_clear()
    yield tmp_path / "programs"
    library.get_program.cache_clear()


def test_cached_program_equals_a_fresh_parse(cache: Path) -> None:
    first = library.get_program("sort")
    entries = list(cache.glob("sort-*.pickle"))
    assert len(entries) == 1
    library.get_program.cache_clear()
    second = library.get_program("sort")  # read back from the pickle
    fresh = load_program(library.library_path("sort"), "sort")
    assert second is not first and second == fresh and hash(second) == hash(fresh)
    assert evaluate(second, ["hello"]) == [list("ehllo")]


def test_a_pickle_carries_no_hash_of_this_process() -> None:
    program = library.get_program("hist")
    hash(program)
    assert "_hash" not in pickle.loads(pickle.dumps(program)).__dict__


def test_an_entry_under_another_digest_is_not_read(cache: Path) -> None:
    cache.mkdir(parents=True)
    (cache / "reverse-0000.pickle").write_bytes(pickle.dumps(library.get_program("hist")))
    library.get_program.cache_clear()
    assert evaluate(library.get_program("reverse"), ["abc"]) == [list("cba")]
    assert not (cache / "reverse-0000.pickle").exists()  # the stale entry was dropped


def test_a_corrupt_entry_is_parsed_again(cache: Path) -> None:
    library.get_program("reverse")
    (entry,) = cache.glob("reverse-*.pickle")
    entry.write_bytes(b"not a pickle")
    library.get_program.cache_clear()
    assert evaluate(library.get_program("reverse"), ["abc"]) == [list("cba")]


def test_a_cached_program_from_another_process_hashes_as_here(cache: Path) -> None:
    code = "from rasplab.lang.library import get_program; get_program('hist')"
    env = {"RASPLAB_CACHE": str(cache.parent), "PYTHONHASHSEED": "123",
           "PYTHONPATH": str(Path(library.__file__).parents[2])}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    library.get_program.cache_clear()
    cached = library.get_program("hist")
    assert cached == load_program(library.library_path("hist"), "hist")
    assert {cached: 1}.get(load_program(library.library_path("hist"), "hist")) == 1
