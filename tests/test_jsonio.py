"""`encode_rows` writes what json.dumps writes, or leaves the rows to it (None)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rasplab.jsonio import BULK_ROWS, encode_rows


def test_token_rows_are_encoded_as_json_dumps_writes_them() -> None:
    rng = np.random.default_rng(0)
    pool = ["a", "Z", " ", "'", "ab", "hello world", "]", 0, -7, 2**62, True, False, None]
    rows = [[pool[j] for j in rng.integers(0, len(pool), int(rng.integers(0, 12)))]
            for _ in range(BULK_ROWS)]
    assert encode_rows(rows) == "\n".join(map(json.dumps, rows)).encode()
    for rows in ([["a", "b"], ["c"]], [[1, -2], [30]], [[True, None]], [["e", 3], [None]]):
        rows = rows * BULK_ROWS
        assert encode_rows(rows) == "\n".join(map(json.dumps, rows)).encode()
    assert encode_rows([["a"]]) is None  # a few rows: json is faster than importing orjson


@pytest.mark.parametrize("rows", [
    [["a,b"]], [[1.0]], [[0.5, 1]], [["é"]], [['a"b']], [["a\\b"]], [["\x01"]], [[2**70]],
    [[[1, 2]]], [[{"a": 1}]], [[{"a": "b"}]], [("a", "b")], [["\ud800"]], [[np.int64(3)]],
    [[1e16]], [[1, 2.5]], [["x", 1e-5]], [[float("inf")]], [[1, float("nan")]], [[-1e300 * 1e10]],
])
def test_rows_whose_spelling_could_differ_are_left_to_json(rows: list) -> None:
    assert encode_rows(rows * BULK_ROWS) is None
