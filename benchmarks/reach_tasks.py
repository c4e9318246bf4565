"""Synthesis tasks in the styles other people write RASP programs in (issue 23's reach).

Each task is a Python reference function over one input (a list of tokens) and an input
sampler: element-wise maps over vocabularies of 20-40 tokens, two-argument tables, fill values
where a shift runs off the end, index permutations with parity, and numeric compositions.
`bench_reach.py` writes examples from these, runs `rasplab synth` on them and checks the
programs on fresh inputs. Vocabularies have at most 40 tokens; inputs at most 8.
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

MAX_LEN = 8


@dataclass(frozen=True)
class ReachTask:
    """A reference function `fn(tokens) -> outputs` and its input distribution."""

    name: str
    family: str
    vocab: tuple[Any, ...]
    fn: Callable[[list[Any]], list[Any]]
    min_len: int = 1
    max_len: int = MAX_LEN
    #: a token every input holds (at a random position), or None
    always: Any = None

    def sample(self, n: int, seed: int) -> list[list[Any]]:
        """`n` inputs, lengths uniform in [min_len, max_len], tokens uniform over the vocab
        (and `always` put at one random position)."""
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            k = int(rng.integers(self.min_len, self.max_len + 1))
            x = [_plain(self.vocab[int(i)]) for i in rng.integers(0, len(self.vocab), k)]
            if self.always is not None:
                x[int(rng.integers(k))] = self.always
            out.append(x)
        return out

    def outputs(self, inputs: Sequence[list[Any]]) -> list[list[Any]]:
        return [list(self.fn(list(x))) for x in inputs]


def _plain(v: Any) -> Any:
    return int(v) if isinstance(v, np.integer) else v


def _each(f: Callable[..., Any]) -> Callable[[list[Any]], list[Any]]:
    """An element-wise map f(token) or f(token, index, length)."""
    def run(xs: list[Any]) -> list[Any]:
        try:
            return [f(x, i, len(xs)) for i, x in enumerate(xs)]
        except TypeError:
            return [f(x) for x in xs]
    return run


def _gather(pick: Callable[[int, int], int], fill: Any) -> Callable[[list[Any]], list[Any]]:
    """y[i] = x[pick(i, n)], or `fill` where the picked position is outside the input."""
    def run(xs: list[Any]) -> list[Any]:
        n = len(xs)
        return [xs[j] if 0 <= (j := pick(i, n)) < n else fill for i in range(n)]
    return run


def _fib(k: int) -> int:
    a, b = 0, 1
    for _ in range(k):
        a, b = b, a + b
    return a


NUMS40 = tuple(range(40))
NUMS30 = tuple(range(30))
NUMS20 = tuple(range(20))
SMALL = tuple(range(1, 10))
LETTERS = tuple(string.ascii_lowercase)
ABC = ("a", "b", "c")


def _tag(x: int) -> str:
    return "low" if x < 10 else "mid" if x < 25 else "high"


def _scale_by_max(xs: list[int]) -> list[float]:
    top = max(xs)
    return [0 if top == 0 else x / top for x in xs]


def _safe_div(a: float, b: float, at_zero: float) -> float:
    return at_zero if b == 0 else a / b


def _detect(pattern: str) -> Callable[[list[Any]], list[Any]]:
    """True at the last position of each occurrence of `pattern`."""
    k = len(pattern)
    return lambda xs: ["".join(xs[max(0, i - k + 1): i + 1]) == pattern for i in range(len(xs))]


def _frac_prevs(pred: Callable[[Any], bool]) -> Callable[[list[Any]], list[Any]]:
    """The share of positions so far where `pred` holds, to six decimals (a float32 model's)."""
    def run(xs: list[Any]) -> list[Any]:
        out, seen = [], 0
        for i, x in enumerate(xs):
            seen += bool(pred(x))
            out.append(round(seen / (i + 1), 6))
        return out
    return run


TASKS: tuple[ReachTask, ...] = (
    # --- element-wise maps over 20-40 tokens (tables, thresholds, arithmetic) ---------------
    ReachTask("round_to_5", "map", NUMS40, _each(lambda x: 5 * round(x / 5))),
    ReachTask("reflect_20", "map", NUMS40, _each(lambda x: x if x < 20 else 39 - x)),
    ReachTask("tag_by_range", "map", NUMS40, _each(_tag)),
    ReachTask("fibonacci", "map", NUMS30, _each(_fib)),
    ReachTask("add_7", "map", NUMS40, _each(lambda x: x + 7)),
    ReachTask("times_3", "map", NUMS40, _each(lambda x: 3 * x)),
    ReachTask("mod_7", "map", NUMS40, _each(lambda x: x % 7)),
    ReachTask("div_4", "map", NUMS40, _each(lambda x: x // 4)),
    ReachTask("letter_rank", "map", LETTERS, _each(lambda x: ord(x) - ord("a") + 1)),
    ReachTask("upper_case", "map", LETTERS, _each(lambda x: x.upper())),
    ReachTask("is_vowel", "map", LETTERS, _each(lambda x: x in "aeiou")),
    ReachTask("arcsine_bins", "map", NUMS20,
              _each(lambda x: round(math.asin(x / 19) * 10))),
    # --- two-argument tables -----------------------------------------------------------------
    ReachTask("repeat_by_index", "pair", ABC, _each(lambda x, i, n: x * (i % 3 + 1))),
    ReachTask("token_at_parity", "pair", ABC, _each(lambda x, i, n: f"{x}{i % 2}")),
    ReachTask("letter_plus_index", "pair", tuple("abcd"),
              _each(lambda x, i, n: chr(ord("a") + (ord(x) - ord("a") + i) % 4))),
    # --- fill values where nothing is selected -----------------------------------------------
    ReachTask("shift_right_0", "fill", SMALL, _gather(lambda i, n: i - 1, 0)),
    ReachTask("shift_left_0", "fill", SMALL, _gather(lambda i, n: i + 1, 0)),
    # ... the fill value is a token every input holds (a compiled model's first output value)
    ReachTask("shift_left_fill_a", "fill", tuple("abcd"), _gather(lambda i, n: i + 1, "a"),
              always="a"),
    ReachTask("shift_right_fill_a", "fill", tuple("abcd"), _gather(lambda i, n: i - 1, "a"),
              always="a"),
    ReachTask("shift_left_2_fill_1", "fill", SMALL, _gather(lambda i, n: i + 2, 1), always=1),
    # --- index arithmetic with parity and modulo ---------------------------------------------
    ReachTask("swap_pairs", "index", LETTERS[:8],
              _gather(lambda i, n: i + 1 if i % 2 == 0 else i - 1, "_"), min_len=2),
    ReachTask("swap_odd_next", "index", SMALL,
              _gather(lambda i, n: i + 1 if i % 2 == 1 else (i - 1 if i > 0 else 0), 0)),
    ReachTask("halve_index", "index", LETTERS[:8], _gather(lambda i, n: i // 2, "_")),
    ReachTask("interleave_reverse", "index", LETTERS[:8],
              _gather(lambda i, n: i // 2 if i % 2 == 0 else n - 1 - i // 2, "_")),
    ReachTask("even_positions", "index", SMALL,
              _each(lambda x, i, n: x if i % 2 == 0 else 0)),
    # --- numeric compositions ----------------------------------------------------------------
    ReachTask("token_times_index", "numeric", SMALL, _each(lambda x, i, n: x * i)),
    ReachTask("times_first", "numeric", SMALL, lambda xs: [x * xs[0] for x in xs]),
    ReachTask("index_over_token", "numeric", tuple(range(0, 6)),
              _each(lambda x, i, n: _safe_div(i, x, 0))),
    ReachTask("max_token_index", "numeric", SMALL, _each(lambda x, i, n: max(x, i))),
    ReachTask("min_token_rest", "numeric", SMALL, _each(lambda x, i, n: min(x, n - i))),
    ReachTask("square_plus_one", "numeric", NUMS20, _each(lambda x: x * x + 1)),
    ReachTask("minus_first", "numeric", SMALL, lambda xs: [x - xs[0] for x in xs]),
    ReachTask("triangular", "numeric", NUMS40, _each(lambda x: x * (x + 1) // 2)),
    # --- compositions the issue names: scale by the maximum, a multiple of the first, ... -----
    ReachTask("scale_by_max", "numeric", tuple(range(6)), _scale_by_max),
    ReachTask("multiple_of_first", "numeric", SMALL, lambda xs: [x % xs[0] == 0 for x in xs]),
    ReachTask("max_with_reverse", "numeric", SMALL,
              lambda xs: [max(x, xs[len(xs) - 1 - i]) for i, x in enumerate(xs)]),
    # --- neighbours of the Tracr benchmark's last failures: patterns, previous + current, a
    # remainder by the position, running fractions written to six decimals ------------------
    ReachTask("detect_abc", "pattern", tuple("abc"), _detect("abc")),
    ReachTask("detect_abba", "pattern", tuple("ab"), _detect("abba")),
    ReachTask("prev_plus_cur", "pattern", SMALL,
              lambda xs: [x + (xs[i - 1] if i else 0) for i, x in enumerate(xs)]),
    ReachTask("token_mod_index1", "numeric", tuple(range(10)),
              _each(lambda x, i, n: x % (i + 1))),
    ReachTask("frac_prevs_vowel", "mean", LETTERS[:8], _frac_prevs(lambda x: x in "aeiou")),
)


def get(name: str) -> ReachTask:
    for t in TASKS:
        if t.name == name:
            return t
    raise KeyError(name)
