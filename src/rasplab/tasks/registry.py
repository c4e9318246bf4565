"""The named tasks: vocabulary, lengths, input distribution, plain-Python reference, RASP program.

A task bundles what training, synthesis and distillation need to agree on. References for the
library programs come from `rasplab.tasks.references` (plain-Python ground truth); the extra tasks
defined here (copy, first, last, rotate, prefix_count, majority, palindrome) carry their own.
"""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Sequence

import numpy as np

from rasplab.errors import ExamplesError, RaspNameError
from rasplab.tasks import distributions as dist
from rasplab.tasks.references import BOS

Token = Any
Reference = Callable[[list], list]

#: the paper's tasks use 8 single-character tokens; these include the letters of "hello"
LETTERS = tuple("abcdehlo")
MAX_LEN = 10


@dataclass(frozen=True)
class Task:
    """A named task: inputs from `sampler` over `vocab`, labels from the plain-Python reference."""

    name: str
    description: str
    vocab: tuple
    max_len: int = MAX_LEN
    min_len: int = 1
    sampler: dist.Sampler = field(default=dist.uniform, repr=False, compare=False)
    numeric_output: bool = False
    #: output values that must be in `output_vocab` even if rare in samples (e.g. all counts)
    known_outputs: Callable[["Task"], Sequence[Any]] = field(default=lambda t: (), repr=False,
                                                            compare=False)
    reference_fn: Reference | None = field(default=None, repr=False, compare=False)
    program_name: str | None = None
    bos: Token | None = None
    suite: str = "extra"

    # --- data ------------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator | int | None = None,
               min_len: int | None = None, max_len: int | None = None,
               vocab: Sequence[Token] | None = None) -> list[list[Token]]:
        """`n` inputs from the task's distribution (a seeded numpy Generator or a seed); over
        part of its vocabulary with `vocab` (a model compiled over fewer tokens)."""
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        lo = self.min_len if min_len is None else min_len
        hi = self.max_len if max_len is None else max_len
        if lo < 1 or hi < lo:
            raise ExamplesError(f"task {self.name!r}: bad length range {lo}..{hi}")
        return self.sampler(self.vocab if vocab is None else vocab, n, rng, lo, hi)

    @property
    def reference(self) -> Reference:
        """The plain-Python reference (ground truth for labels)."""
        if self.reference_fn is not None:
            return self.reference_fn
        from rasplab.tasks.references import REFERENCES
        return REFERENCES[self.name]

    def outputs(self, inputs: Sequence[Sequence[Token]]) -> list[list[Any]]:
        """Labels for `inputs` from the plain-Python reference."""
        ref = self.reference
        return [list(ref(list(x))) for x in inputs]

    @cached_property
    def output_vocab(self) -> tuple | None:
        """Every output value the task produces up to max_len (None for real-valued outputs)."""
        if self.numeric_output:
            return None
        values = list(self.known_outputs(self))
        probe = self.sample(3000, np.random.default_rng(12345))
        for row in self.outputs(probe):
            values.extend(row)
        return tuple(sorted(set(values), key=_value_order))

    @property
    def program(self) -> Any:
        """The reference RASP program (library program of that name, or this package's own)."""
        from rasplab.tasks.programs import PROGRAMS
        name = self.program_name or self.name
        if name in PROGRAMS:
            return PROGRAMS[name]()
        from rasplab.lang.library import get_program  # parsing the library is slow: on use
        return get_program(name)

    def check_input(self, x: Sequence[Token], *, check_length: bool = True) -> None:
        """ExamplesError naming the first token outside the vocabulary, or a bad length."""
        if len(x) == 0:
            raise ExamplesError(f"task {self.name!r}: empty input")
        if check_length and not self.min_len <= len(x) <= self.max_len:
            raise ExamplesError(f"task {self.name!r}: input length {len(x)} is outside "
                                f"{self.min_len}..{self.max_len}")
        allowed = set(self.vocab)
        # one C-level subset test; the loop below runs only to name a bad token (or when the
        # vocabulary holds 0 or 1, which True and False would pass as)
        if not allowed.issuperset(x) or True in allowed or False in allowed:
            self._name_bad_token(x, allowed)
        if self.bos is not None and (x[0] != self.bos or self.bos in x[1:]):
            raise ExamplesError(f"task {self.name!r}: the input must start with {self.bos!r} "
                                "and contain it only there")

    def _name_bad_token(self, x: Sequence[Token], allowed: set) -> None:
        """ExamplesError naming the first token of `x` outside `allowed` (bools never pass)."""
        for i, t in enumerate(x):
            if isinstance(t, bool) or t not in allowed:
                raise ExamplesError(
                    f"token {t!r} at position {i} is not in the vocabulary of task "
                    f"{self.name!r} ({' '.join(map(str, self.vocab))})")

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary (for `rasplab tasks --json`)."""
        return {"name": self.name, "description": self.description, "vocab": list(self.vocab),
                "min_len": self.min_len, "max_len": self.max_len, "suite": self.suite,
                "numeric_output": self.numeric_output}


def _value_order(v: Any) -> tuple:
    if v is None:
        return (0, 0, "")
    if isinstance(v, bool):
        return (1, int(v), "")
    if isinstance(v, int | float):
        return (2, v, "")
    return (3, 0, str(v))


# --- plain-Python references ----------------------------------------------------------------
def _copy(x: list) -> list:
    return list(x)


def _first(x: list) -> list:
    return [x[0]] * len(x)


def _last(x: list) -> list:
    return [x[-1]] * len(x)


def _rotate(x: list) -> list:
    return x[1:] + x[:1]


def _prefix_count(x: list) -> list:
    out, seen = [], 0
    for t in x:
        seen += t == "a"
        out.append(seen)
    return out


def _depth_after(x: list, level: bool) -> list:
    """Open brackets after each token; with `level`, a closer counts the depth it closes."""
    out, depth = [], 0
    for t in x:
        opens = t in "({["
        depth += 1 if opens else -1
        out.append(depth + (0 if opens or not level else 1))
    return out


def _depth(x: list) -> list:
    return _depth_after(x, level=False)


def _nesting(x: list) -> list:
    return _depth_after(x, level=True)


def _level_count(x: list) -> list:
    return _running_count(_nesting(x))


def _running_count(x: list) -> list:
    seen: Counter = Counter()
    out = []
    for t in x:
        seen[t] += 1
        out.append(seen[t])
    return out


def _majority(x: list) -> list:
    counts = Counter(x)
    best = max(counts.values())
    winner = next(t for t in x if counts[t] == best)
    return [winner] * len(x)


def _palindrome(x: list) -> list:
    return [x == x[::-1]] * len(x)


# --- the registry ---------------------------------------------------------------------------
def _counts(lo: int) -> Callable[[Task], range]:
    return lambda t: range(lo, t.max_len + 1)


def _signed_counts(t: Task) -> range:
    return range(-t.max_len, t.max_len + 1)


def _tokens(t: Task) -> tuple:
    return t.vocab


_TASKS: list[Task] = [
    # the RASP paper's tasks
    Task("reverse", "the input backwards", LETTERS, known_outputs=_tokens, suite="paper"),
    Task("hist", "how often each token occurs in the input", LETTERS,
         known_outputs=_counts(1), suite="paper"),
    Task("hist_bos", f"hist with a {BOS!r} token first (the paper's BOS variant)",
         (BOS,) + LETTERS, min_len=2, sampler=dist.with_bos(dist.uniform, BOS), bos=BOS,
         known_outputs=_counts(1), suite="paper"),
    Task("double_hist", "how many distinct tokens share this token's count", LETTERS,
         known_outputs=lambda t: range(1, min(len(t.vocab), t.max_len) + 1), suite="paper"),
    Task("sort", "the tokens in ascending order, duplicates kept", LETTERS,
         known_outputs=_tokens, suite="paper"),
    Task("most_freq", "distinct tokens by decreasing count (ties: first appearance), "
         "then padding", LETTERS, known_outputs=_tokens, suite="paper"),
    Task("dyck1", "per prefix: T balanced, P completable, F broken (brackets ())",
         tuple("()"), sampler=dist.dyck(["()"]), suite="paper"),
    Task("dyck2", "per prefix: T balanced, P completable, F broken (brackets (){})",
         tuple("(){}"), sampler=dist.dyck(["()", "{}"]), suite="paper"),
    # Tracr's library examples
    Task("length", "the input length at every position", LETTERS,
         known_outputs=_counts(1), suite="tracr"),
    Task("frac_prevs", "fraction of the positions so far holding 'x'", tuple("abcx"),
         numeric_output=True, suite="tracr"),
    Task("pair_balance", "(#'(' - #')') / positions so far", tuple("()ab"),
         numeric_output=True, suite="tracr"),
    Task("shuffle_dyck1", "1 everywhere if the input is balanced over ()", tuple("()"),
         sampler=dist.shuffle_dyck(["()"]), suite="tracr"),
    Task("shuffle_dyck2", "1 everywhere if each of () {} is balanced", tuple("(){}"),
         sampler=dist.shuffle_dyck(["()", "{}"]), suite="tracr"),
    Task("shuffle_dyck3", "1 everywhere if each of () {} [] is balanced", tuple("(){}[]"),
         sampler=dist.shuffle_dyck(["()", "{}", "[]"]), suite="tracr"),
    Task("shift_by", "the previous token at each position (input shifted right by one)",
         LETTERS,
         known_outputs=_tokens, suite="tracr"),
    Task("detect_pattern", "marks the positions where the pattern 'abc' ends", tuple("abc"),
         sampler=dist.planted("abc"), suite="tracr"),
    Task("count_less_freq", "how many positions hold a token occurring at most twice",
         LETTERS, known_outputs=_counts(0), suite="tracr"),
    Task("sort_unique", "distinct tokens in ascending order", LETTERS, max_len=len(LETTERS),
         sampler=dist.distinct, known_outputs=_tokens, suite="tracr"),
    Task("sort_freq", "tokens by decreasing count, ties in input order", LETTERS,
         known_outputs=_tokens, suite="tracr"),
    Task("count", "how many tokens are 'a', at every position", LETTERS,
         known_outputs=_counts(0), suite="tracr"),
    # extra tasks with their own references and programs (rasplab.tasks.programs)
    Task("copy", "the input unchanged", LETTERS, known_outputs=_tokens, reference_fn=_copy),
    Task("first", "the first token at every position", LETTERS, known_outputs=_tokens,
         reference_fn=_first),
    Task("last", "the last token at every position", LETTERS, known_outputs=_tokens,
         reference_fn=_last),
    Task("rotate", "the input rotated left by one", LETTERS, known_outputs=_tokens,
         reference_fn=_rotate),
    Task("prefix_count", "how many 'a' tokens so far", LETTERS, known_outputs=_counts(0),
         reference_fn=_prefix_count),
    Task("running_count", "how many times this token has occurred so far", LETTERS,
         known_outputs=_counts(1), reference_fn=_running_count),
    # a curriculum for bracket languages: how deep each token sits
    Task("depth", "open brackets after each token (brackets (){})", tuple("(){}"),
         sampler=dist.dyck(["()", "{}"]), known_outputs=_signed_counts,
         reference_fn=_depth),
    Task("nesting", "the nesting level of each bracket: an opener and its partner share "
         "one (brackets (){})", tuple("(){}"), sampler=dist.dyck(["()", "{}"]),
         known_outputs=_signed_counts, reference_fn=_nesting),
    Task("level_count", "how many brackets so far share this bracket's nesting level "
         "(brackets (){})", tuple("(){}"), sampler=dist.dyck(["()", "{}"]),
         known_outputs=_counts(1), reference_fn=_level_count),
    Task("majority", "the most frequent token (ties: first appearance) everywhere", LETTERS,
         known_outputs=_tokens, reference_fn=_majority),
    Task("palindrome", "True everywhere if the input reads the same backwards", LETTERS,
         sampler=dist.palindromes(), known_outputs=lambda t: (False, True),
         reference_fn=_palindrome),
]

TASKS: dict[str, Task] = {t.name: t for t in _TASKS}

SUITES: dict[str, list[str]] = {
    "paper": ["reverse", "hist", "double_hist", "sort", "most_freq", "dyck1", "dyck2"],
    "tracr": [t.name for t in _TASKS if t.suite == "tracr"],
    "extra": [t.name for t in _TASKS if t.suite == "extra"],
    "all": [t.name for t in _TASKS],
}


def get_task(name: str) -> Task:
    """The task called `name`; RaspNameError listing the known names otherwise."""
    task = TASKS.get(name)
    if task is None:
        close = difflib.get_close_matches(name, TASKS, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise RaspNameError(f"unknown task {name!r}{hint}; tasks: {', '.join(TASKS)}")
    return task


def list_tasks(suite: str = "all") -> list[Task]:
    """The tasks of a suite, in registry order."""
    return [TASKS[n] for n in get_suite(suite)]


def get_suite(name: str) -> list[str]:
    """Task names of a suite: paper, tracr, extra or all."""
    if name not in SUITES:
        raise RaspNameError(f"unknown task suite {name!r}; suites: {', '.join(SUITES)}")
    return list(SUITES[name])
