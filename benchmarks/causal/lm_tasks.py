"""Algorithmic tasks for models trained outside rasplab: sampling and ground truth in one place.

The GPT-2 and TransformerLens training scripts, their tests and the causal benchmark all read
the tasks from here, so a model, its data files and the truth they are checked against agree.

Three kinds of task:
- ``next`` (sequence to sequence, for decoders): a whole sequence is
  ``<bos> input <sep> output <eos>``; the compared positions run from ``<sep>`` to the last output
  token, each predicting the token after it.
- ``next-set`` (formal languages, for decoders): a whole sequence is ``<bos> word <eos>``; at each
  position from ``<bos>`` to the word's last token the truth is the set of tokens allowed next:
  ``t`` is allowed when prefix+t can still be extended to a word of the language, and ``<eos>``
  when the prefix is itself a word. The languages are unbounded, so the allowed sets do not depend
  on a length limit (in Dyck, ``(`` is always allowed) and are the same at longer lengths.
- ``classes`` (per-position classifiers, for bidirectional encoders): an input ``x1 .. xn`` gets a
  label per position; the model sees ``<bos> x1 .. xn`` and its ``<bos>`` logits are ignored.

"Length" is the input length, except for ``count``, where it is the output length ``b - a + 1``
(its input is always the two numbers ``a b``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Token = int | str

BOS, SEP, EOS, PAD = "<bos>", "<sep>", "<eos>", "<pad>"
SPECIALS: tuple[str, ...] = (BOS, SEP, EOS, PAD)


# --------------------------------------------------------------------------------------------
# Sequence-to-sequence tasks (`next`)


@dataclass(frozen=True)
class Seq2SeqTask:
    """A task mapping an input token list to an output token list, trained as next-token LM."""

    name: str
    description: str
    sample_input: Callable[[np.random.Generator, int, int], list[Token]]  # (rng, length, vocab)
    output: Callable[[Sequence[Token]], list[Token]]
    vocab_size: int  # default number of task tokens
    min_len: int = 2
    max_len: int = 16
    fixed_vocab: tuple[Token, ...] | None = None  # tokens that do not follow --vocab-size
    kind: str = "next"

    def task_tokens(self, vocab_size: int | None = None) -> list[Token]:
        """The task's own tokens in id order (numbers 0..V-1 unless the task fixes them)."""
        if self.fixed_vocab is not None:
            return list(self.fixed_vocab)
        return list(range(vocab_size or self.vocab_size))

    def max_length(self, vocab_size: int | None = None) -> int | None:
        """The largest length the sampler can produce for this vocabulary (None: unbounded)."""
        v = len(self.task_tokens(vocab_size))
        if self.name in ("sort", "copy", "reverse"):
            return v
        if self.name == "count":
            return v
        return None

    def sequence(self, inp: Sequence[Token]) -> list[Token]:
        """The whole sequence the model sees: ``<bos> input <sep> output <eos>``."""
        return [BOS, *inp, SEP, *self.output(inp), EOS]

    def compared(self, seq: Sequence[Token]) -> list[tuple[int, Token]]:
        """(position, true next token) for every position from ``<sep>`` to the last output."""
        start = list(seq).index(SEP)
        end = list(seq).index(EOS)
        return [(p, seq[p + 1]) for p in range(start, end)]


def _distinct(rng: np.random.Generator, n: int, vocab: int) -> list[Token]:
    if n > vocab:
        raise ValueError(f"cannot draw {n} distinct tokens from a vocabulary of {vocab}")
    return [int(t) for t in rng.choice(vocab, size=n, replace=False)]


def _count_input(rng: np.random.Generator, n: int, vocab: int) -> list[Token]:
    if n > vocab:
        raise ValueError(f"count: an output of length {n} needs a vocabulary of at least {n}")
    a = int(rng.integers(0, vocab - n + 1))
    return [a, a + n - 1]


def _unique_mode(rng: np.random.Generator, n: int, vocab: int) -> list[Token]:
    """A sequence of n tokens whose most frequent token is unique (drawn from a few symbols)."""
    while True:
        k = int(rng.integers(1, min(vocab, n) + 1))
        symbols = rng.choice(vocab, size=k, replace=False)
        seq = [int(t) for t in rng.choice(symbols, size=n)]
        top = Counter(seq).most_common(2)
        if len(top) == 1 or top[0][1] > top[1][1]:
            return seq


def _bits(rng: np.random.Generator, n: int, vocab: int) -> list[Token]:
    if n % 2 == 0:
        raise ValueError(f"binary_majority needs odd lengths, got {n}")
    return [int(t) for t in rng.integers(0, 2, size=n)]


def _majority(seq: Sequence[Token]) -> list[Token]:
    return [Counter(seq).most_common(1)[0][0]]


SEQ2SEQ: dict[str, Seq2SeqTask] = {
    t.name: t
    for t in (
        Seq2SeqTask("sort", "distinct tokens, output in ascending order", _distinct,
                    lambda x: sorted(x), vocab_size=32),
        Seq2SeqTask("copy", "distinct tokens, output the input", _distinct,
                    lambda x: list(x), vocab_size=32),
        Seq2SeqTask("reverse", "distinct tokens, output the input reversed", _distinct,
                    lambda x: list(reversed(x)), vocab_size=32),
        Seq2SeqTask("count", "input a b (a <= b), output a, a+1, ..., b (Zhou et al. 2023)",
                    _count_input, lambda x: list(range(int(x[0]), int(x[1]) + 1)),
                    vocab_size=48, min_len=1),
        Seq2SeqTask("majority", "output the most frequent input token (inputs have a unique mode)",
                    _unique_mode, _majority, vocab_size=16, min_len=1),
        Seq2SeqTask("binary_majority", "bits of odd length, output the majority bit",
                    _bits, _majority, vocab_size=2, min_len=1, max_len=15,
                    fixed_vocab=(0, 1)),
    )
}


# --------------------------------------------------------------------------------------------
# Formal languages (`next-set`)


@dataclass(frozen=True)
class LanguageTask:
    """A formal language trained as next-set prediction: which tokens may follow each prefix."""

    name: str
    description: str
    alphabet: tuple[str, ...]
    allowed_symbols: Callable[[Sequence[Token]], frozenset[Token]]  # of a live prefix
    is_member: Callable[[Sequence[Token]], bool]
    sample_word: Callable[[np.random.Generator, int], list[Token]]  # a member of that length
    lengths_ok: Callable[[int], bool]  # lengths that have members
    min_len: int = 2
    max_len: int = 24
    kind: str = "next-set"

    def task_tokens(self, vocab_size: int | None = None) -> list[Token]:
        """The alphabet in id order (the vocabulary size is fixed by the language)."""
        return list(self.alphabet)

    def max_length(self, vocab_size: int | None = None) -> int | None:
        return None

    def allowed(self, prefix: Sequence[Token]) -> frozenset[Token]:
        """Tokens allowed after ``prefix`` (a prefix of some member): symbols, and ``<eos>``."""
        syms = self.allowed_symbols(prefix)
        return syms | {EOS} if self.is_member(prefix) else syms

    def sample_input(self, rng: np.random.Generator, n: int, vocab: int) -> list[Token]:
        return self.sample_word(rng, n)

    def sequence(self, word: Sequence[Token]) -> list[Token]:
        """The whole sequence the model sees: ``<bos> word <eos>``."""
        return [BOS, *word, EOS]

    def compared(self, seq: Sequence[Token]) -> list[tuple[int, frozenset[Token]]]:
        """(position, allowed-next set) for every position from ``<bos>`` to the last symbol."""
        word = list(seq[1:list(seq).index(EOS)])
        return [(p, self.allowed(word[:p])) for p in range(len(word) + 1)]


_PAIRS = {")": "(", "]": "["}


def _dyck_stack(prefix: Sequence[Token]) -> list[Token] | None:
    """The open brackets left after ``prefix``; None when it is no prefix of a Dyck word."""
    stack: list[Token] = []
    for t in prefix:
        if t in _PAIRS:
            if not stack or stack[-1] != _PAIRS[t]:
                return None
            stack.pop()
        else:
            stack.append(t)
    return stack


def _dyck_allowed(opens: tuple[str, ...]) -> Callable[[Sequence[Token]], frozenset[Token]]:
    closer = {o: c for c, o in _PAIRS.items()}

    def allowed(prefix: Sequence[Token]) -> frozenset[Token]:
        stack = _dyck_stack(prefix)
        if stack is None:
            return frozenset()
        return frozenset(opens) | ({closer[stack[-1]]} if stack else set())
    return allowed


def _dyck_member(prefix: Sequence[Token]) -> bool:
    return _dyck_stack(prefix) == []


def _dyck_sampler(opens: tuple[str, ...]) -> Callable[[np.random.Generator, int], list[Token]]:
    """A Dyck word of length n: open or close with equal chance wherever both can still finish."""
    closer = {o: c for c, o in _PAIRS.items()}

    def sample(rng: np.random.Generator, n: int) -> list[Token]:
        if n % 2:
            raise ValueError(f"Dyck words have even lengths, got {n}")
        stack: list[str] = []
        word: list[Token] = []
        for i in range(n):
            can_open = len(stack) + 1 <= n - i - 1
            if stack and (not can_open or rng.random() < 0.5):
                word.append(closer[stack.pop()])
            else:
                o = opens[int(rng.integers(len(opens)))]
                stack.append(o)
                word.append(o)
        return word
    return sample


@dataclass(frozen=True)
class Dfa:
    """A deterministic automaton over a/b; state -1 is the dead state."""

    start: int
    delta: dict[tuple[int, str], int]
    accepting: frozenset[int]

    def run(self, word: Sequence[Token]) -> int:
        s = self.start
        for t in word:
            s = self.delta.get((s, str(t)), -1) if s != -1 else -1
        return s

    def live(self) -> frozenset[int]:
        """States from which an accepting state can be reached."""
        live = set(self.accepting)
        changed = True
        while changed:
            changed = False
            for (s, _), d in self.delta.items():
                if d in live and s not in live:
                    live.add(s)
                    changed = True
        return frozenset(live)


def _dfa_task(name: str, description: str, dfa: Dfa,
              lengths_ok: Callable[[int], bool] = lambda n: True) -> LanguageTask:
    live = dfa.live()
    alphabet = ("a", "b")

    def allowed(prefix: Sequence[Token]) -> frozenset[Token]:
        s = dfa.run(prefix)
        return frozenset(t for t in alphabet if dfa.delta.get((s, t), -1) in live)

    def member(prefix: Sequence[Token]) -> bool:
        return dfa.run(prefix) in dfa.accepting

    def sample(rng: np.random.Generator, n: int) -> list[Token]:
        # Uniform among allowed symbols, restarting when the walk cannot end in a member at n.
        while True:
            word: list[Token] = []
            for _ in range(n):
                options = sorted(allowed(word))
                if not options:
                    break
                word.append(options[int(rng.integers(len(options)))])
            if len(word) == n and member(word):
                return word

    return LanguageTask(name, description, alphabet, allowed, member, sample, lengths_ok)


# Tomita 2: (ab)*.  States: 0 (even, accepting), 1 (after a).
_TOMITA2 = Dfa(0, {(0, "a"): 1, (1, "b"): 0}, frozenset({0}))
# Tomita 4: no "aaa" substring.  States count the trailing a's.
_TOMITA4 = Dfa(0, {(0, "a"): 1, (0, "b"): 0, (1, "a"): 2, (1, "b"): 0, (2, "b"): 0},
               frozenset({0, 1, 2}))

LANGUAGES: dict[str, LanguageTask] = {
    t.name: t
    for t in (
        LanguageTask("dyck1", "balanced brackets, one pair ()", ("(", ")"), _dyck_allowed(("(",)),
                     _dyck_member, _dyck_sampler(("(",)), lambda n: n % 2 == 0),
        LanguageTask("dyck2", "balanced brackets, two pairs ()[]", ("(", ")", "[", "]"),
                     _dyck_allowed(("(", "[")), _dyck_member, _dyck_sampler(("(", "[")),
                     lambda n: n % 2 == 0),
        _dfa_task("tomita2", "Tomita 2: (ab)*", _TOMITA2, lambda n: n % 2 == 0),
        _dfa_task("tomita4", "Tomita 4: words over a/b without the substring aaa", _TOMITA4),
    )
}


# --------------------------------------------------------------------------------------------
# Per-position classification (`classes`, for bidirectional TransformerLens encoders)


@dataclass(frozen=True)
class ClassTask:
    """A per-position labelling of a token sequence; tokens are 0..V-1, labels are ``classes``."""

    name: str
    description: str
    labels: Callable[[Sequence[int]], list[int]]
    classes: Callable[[int, int], list[int]]  # (vocab, max_len) -> classes in logit order
    rasp: str  # the few RASP operations that express it, for the reader
    vocab_size: int = 10
    min_len: int = 2
    max_len: int = 10
    kind: str = "classes"

    def task_tokens(self, vocab_size: int | None = None) -> list[int]:
        return list(range(vocab_size or self.vocab_size))

    def max_length(self, vocab_size: int | None = None) -> int | None:
        return None

    def sample_input(self, rng: np.random.Generator, n: int, vocab: int) -> list[int]:
        if self.name == "count_last":  # draw from a few symbols so that large counts occur
            symbols = rng.choice(vocab, size=int(rng.integers(1, vocab + 1)), replace=False)
            return [int(t) for t in rng.choice(symbols, size=n)]
        seq = [int(t) for t in rng.integers(0, vocab, size=n)]
        if self.name == "index_equal":  # make equality common enough to learn
            hit = rng.random(n) < 0.3
            seq = [i if h and i < vocab else t for i, (t, h) in enumerate(zip(seq, hit))]
        return seq


def _gt_first(x: Sequence[int]) -> list[int]:
    return [int(t > x[0]) for t in x]


def _count_last(x: Sequence[int]) -> list[int]:
    return [sum(t == x[-1] for t in x)] * len(x)


def _seq_max(x: Sequence[int]) -> list[int]:
    return [max(x)] * len(x)


def _index_equal(x: Sequence[int]) -> list[int]:
    return [int(t == i) for i, t in enumerate(x)]


CLASSIFIERS: dict[str, ClassTask] = {
    t.name: t
    for t in (
        ClassTask("gt_first", "1 where the token is larger than the first token", _gt_first,
                  lambda v, n: [0, 1],
                  "first = aggregate(select(indices, 0, ==), tokens); tokens > first"),
        ClassTask("count_last", "at every position, how many tokens equal the last token",
                  _count_last, lambda v, n: list(range(1, n + 1)),
                  "last = aggregate(select(indices, length - 1, ==), tokens); "
                  "selector_width(select(tokens, last, ==))"),
        ClassTask("seq_max", "at every position, the largest token of the sequence", _seq_max,
                  lambda v, n: list(range(v)),
                  "top = selector_width(select(tokens, tokens, >)) == 0; "
                  "aggregate(select(top, True, ==), tokens)"),
        ClassTask("index_equal", "1 where the token equals its index (from 0)", _index_equal,
                  lambda v, n: [0, 1], "tokens == indices"),
    )
}

TASKS: dict[str, Seq2SeqTask | LanguageTask | ClassTask] = {**SEQ2SEQ, **LANGUAGES, **CLASSIFIERS}
LM_TASKS: dict[str, Seq2SeqTask | LanguageTask] = {**SEQ2SEQ, **LANGUAGES}


def get(name: str) -> Seq2SeqTask | LanguageTask | ClassTask:
    """The task called ``name``; a ValueError lists the known ones."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]


def lm_tokens(task: Seq2SeqTask | LanguageTask, vocab_size: int | None = None) -> list[Token]:
    """A decoder's tokens in id order: the task's tokens, then ``<bos> <sep> <eos> <pad>``."""
    return [*task.task_tokens(vocab_size), *SPECIALS]


def class_tokens(task: ClassTask, vocab_size: int | None = None) -> list[Token]:
    """An encoder's tokens in id order: ``<bos>`` at id 0, then the task's tokens."""
    return [BOS, *task.task_tokens(vocab_size)]


def lengths(task: Seq2SeqTask | LanguageTask | ClassTask, lo: int, hi: int) -> list[int]:
    """The lengths in [lo, hi] that the task can sample (odd for binary_majority, even Dyck)."""
    out = list(range(lo, hi + 1))
    if isinstance(task, LanguageTask):
        out = [n for n in out if task.lengths_ok(n)]
    elif task.name == "binary_majority":
        out = [n for n in out if n % 2]
    if not out:
        raise ValueError(f"{task.name}: no valid length in [{lo}, {hi}]")
    return out


def sample_inputs(task: Seq2SeqTask | LanguageTask | ClassTask, n: int,
                  rng: np.random.Generator, min_len: int, max_len: int,
                  vocab_size: int | None = None) -> list[list[Token]]:
    """``n`` inputs (words, for languages) with lengths uniform over the valid ones."""
    vocab = len(task.task_tokens(vocab_size))
    cap = task.max_length(vocab_size)
    ok = lengths(task, min_len, min(max_len, cap) if cap else max_len)
    picks = rng.integers(0, len(ok), size=n)
    return [task.sample_input(rng, ok[i], vocab) for i in picks]


def sample_sequences(task: Seq2SeqTask | LanguageTask, n: int, rng: np.random.Generator,
                     min_len: int, max_len: int,
                     vocab_size: int | None = None) -> list[list[Token]]:
    """``n`` whole decoder sequences as the model sees them (without padding)."""
    return [task.sequence(x) for x in sample_inputs(task, n, rng, min_len, max_len, vocab_size)]
