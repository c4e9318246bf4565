"""Plain-Python ground truth for every library program: what each task's labels are.

Each reference takes a list of tokens and returns the list of outputs, written directly (loops,
Counter), independent of RASP; the `.rasp` library programs are tested against them. The
conventions below (fill values, the BOS token, the counted token) are the library's too.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from rasplab.errors import ExamplesError

Reference = Callable[[list], list]

#: the paper's beginning-of-sequence token (hist_bos inputs start with it)
BOS = "<s>"
#: what fills positions that hold no token (most_freq's tail, shift_by's first position, ...)
FILL = "_"
#: the token counted by frac_prevs and by count
FRAC_TOKEN, COUNT_TOKEN = "x", "a"
PATTERN = ("a", "b", "c")
#: count_less_freq counts positions whose token occurs at most this many times
LESS_FREQ_N = 2
DYCK1, DYCK2 = ("()",), ("()", "{}")
SHUFFLE_PAIRS = ("()", "{}", "[]")


def reverse(x: list) -> list:
    """The input backwards."""
    return list(reversed(x))


def hist(x: list) -> list:
    """How many times each position's token occurs in the input."""
    counts = Counter(x)
    return list(map(counts.__getitem__, x))  # every token is counted: no default needed


def hist_bos(x: list) -> list:
    """hist over the tokens after a leading BOS "<s>", and 0 at the BOS position."""
    if not x or x[0] != BOS or BOS in x[1:]:
        raise ExamplesError(f"hist_bos: the input must start with {BOS!r} and hold it only "
                            f"there, got {x!r}")
    return [0] + hist(x[1:])


def double_hist(x: list) -> list:
    """For each token, how many distinct tokens occur as often as it does (itself included)."""
    counts = Counter(x)
    how_many_with = Counter(counts.values())
    return [how_many_with[counts[t]] for t in x]


def sort(x: list) -> list:
    """The tokens in ascending natural order, duplicates kept."""
    return sorted(x)


def most_freq(x: list) -> list:
    """Distinct tokens by decreasing count (ties: first appearance), then FILL to the end."""
    counts = Counter(x)
    first_seen: dict[Any, int] = {}
    for i, t in enumerate(x):
        first_seen.setdefault(t, i)
    ranked = sorted(first_seen, key=lambda t: (-counts[t], first_seen[t]))
    return ranked + [FILL] * (len(x) - len(ranked))


def _dyck(pairs: tuple[str, ...]) -> Reference:
    closer_of = {p[0]: p[1] for p in pairs}
    closers = {p[1] for p in pairs}

    def dyck(x: list) -> list:
        """Per prefix: "T" balanced, "P" unbalanced but completable, "F" broken; others ignored."""
        out, stack, broken = [], [], False
        for t in x:
            if t in closer_of:
                stack.append(closer_of[t])
            elif t in closers:
                if stack and stack[-1] == t:
                    stack.pop()
                else:
                    broken = True
            out.append("F" if broken else "P" if stack else "T")
        return out

    return dyck


dyck1, dyck2 = _dyck(DYCK1), _dyck(DYCK2)


def length(x: list) -> list:
    """The input length at every position."""
    return [len(x)] * len(x)


def frac_prevs(x: list) -> list:
    """Fraction of the positions so far (this one included) whose token is "x"."""
    out, seen = [], 0
    for i, t in enumerate(x):
        seen += t == FRAC_TOKEN
        out.append(seen / (i + 1))
    return out


def pair_balance(x: list) -> list:
    """(number of "(" minus number of ")") over the positions so far, divided by their number."""
    out, balance = [], 0
    for i, t in enumerate(x):
        balance += (t == "(") - (t == ")")
        out.append(balance / (i + 1))
    return out


def _shuffle_dyck(k: int) -> Reference:
    pairs = SHUFFLE_PAIRS[:k]

    def shuffle_dyck(x: list) -> list:
        """1 everywhere if each bracket type on its own is balanced (shuffle-Dyck), else 0."""
        for opener, closer in pairs:
            depth = 0
            for t in x:
                depth += (t == opener) - (t == closer)
                if depth < 0:
                    return [0] * len(x)
            if depth != 0:
                return [0] * len(x)
        return [1] * len(x)

    return shuffle_dyck


shuffle_dyck1, shuffle_dyck2, shuffle_dyck3 = (_shuffle_dyck(k) for k in (1, 2, 3))


def shift_by(x: list) -> list:
    """The input shifted right by one: FILL, then every token but the last."""
    return [FILL] + list(x[:-1])


def detect_pattern(x: list) -> list:
    """1 at each position where "a", "b", "c" ends (the two before it hold "a", "b"), else 0."""
    k = len(PATTERN)
    return [int(i >= k - 1 and tuple(x[i - k + 1: i + 1]) == PATTERN) for i in range(len(x))]


def count_less_freq(x: list) -> list:
    """How many positions hold a token that occurs at most twice, at every position (Tracr's)."""
    counts = Counter(x)
    n = sum(1 for t in x if counts[t] <= LESS_FREQ_N)
    return [n] * len(x)


def sort_unique(x: list) -> list:
    """Tokens ascending, meant for distinct tokens (Tracr's sort_unique).

    With duplicates it follows the program: each token lands at the number of smaller tokens,
    and positions no token lands on hold FILL.
    """
    out: list[Any] = [FILL] * len(x)
    for t in x:
        out[sum(1 for u in x if u < t)] = t
    return out


def sort_freq(x: list) -> list:
    """Tokens by decreasing count; equally frequent tokens keep their input order (stable)."""
    counts = Counter(x)
    return sorted(x, key=lambda t: -counts[t])


def count(x: list) -> list:
    """How many tokens are "a", at every position."""
    n = sum(1 for t in x if t == COUNT_TOKEN)
    return [n] * len(x)


REFERENCES: dict[str, Reference] = {
    "reverse": reverse, "hist": hist, "hist_bos": hist_bos, "double_hist": double_hist,
    "sort": sort, "most_freq": most_freq, "dyck1": dyck1, "dyck2": dyck2, "length": length,
    "frac_prevs": frac_prevs, "pair_balance": pair_balance, "shuffle_dyck1": shuffle_dyck1,
    "shuffle_dyck2": shuffle_dyck2, "shuffle_dyck3": shuffle_dyck3, "shift_by": shift_by,
    "detect_pattern": detect_pattern, "count_less_freq": count_less_freq,
    "sort_unique": sort_unique, "sort_freq": sort_freq, "count": count,
}
