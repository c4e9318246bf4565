"""Input distributions for the tasks: seeded samplers that make every output label common.

Each sampler is `sampler(vocab, n, rng, min_len, max_len) -> list[list[token]]`; lengths are
uniform over [min_len, max_len]. Dyck-style samplers mix well-formed words, their prefixes,
corrupted words and random strings so that every label (T/P/F, balanced or not) occurs often.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

Token = Any
Sampler = Callable[[Sequence[Token], int, np.random.Generator, int, int], list[list[Token]]]


def _lengths(n: int, rng: np.random.Generator, min_len: int, max_len: int) -> np.ndarray:
    return rng.integers(min_len, max_len + 1, size=n)


def uniform(vocab: Sequence[Token], n: int, rng: np.random.Generator, min_len: int,
            max_len: int) -> list[list[Token]]:
    """Uniform lengths, each token drawn uniformly from `vocab`."""
    vocab = list(vocab)
    lengths = _lengths(n, rng, min_len, max_len)
    codes = rng.integers(0, len(vocab), size=(n, max_len))
    table = np.empty(len(vocab), dtype=object)
    table[:] = vocab
    rows = table[codes].tolist()
    return [row[:k] for row, k in zip(rows, lengths.tolist())]


def distinct(vocab: Sequence[Token], n: int, rng: np.random.Generator, min_len: int,
             max_len: int) -> list[list[Token]]:
    """Sequences of pairwise different tokens (for sort_unique); max_len is capped by |vocab|."""
    vocab = list(vocab)
    hi = min(max_len, len(vocab))
    lengths = _lengths(n, rng, min(min_len, hi), hi)
    perms = np.argsort(rng.random((n, len(vocab))), axis=1)
    return [[vocab[j] for j in perm[:k]] for perm, k in zip(perms.tolist(), lengths.tolist())]


def _balanced(pairs: Sequence[str], length: int, rng: np.random.Generator) -> list[str]:
    """A random well-nested word of even `length` over the bracket `pairs` (a random walk)."""
    out: list[str] = []
    stack: list[int] = []
    for remaining in range(length, 0, -1):
        must_open = not stack
        must_close = len(stack) >= remaining
        if must_close or (not must_open and rng.random() < 0.5):
            out.append(pairs[stack.pop()][1])
        else:
            kind = int(rng.integers(len(pairs)))
            stack.append(kind)
            out.append(pairs[kind][0])
    return out


def _corrupt(word: list[str], vocab: Sequence[str], rng: np.random.Generator) -> list[str]:
    """The word with one position replaced by a different token of the vocabulary."""
    word = list(word)
    i = int(rng.integers(len(word)))
    choices = [t for t in vocab if t != word[i]]
    word[i] = choices[int(rng.integers(len(choices)))]
    return word


def _pairs_in(pairs: Sequence[str], vocab: Sequence[Token]) -> Sequence[str]:
    """The bracket pairs whose two tokens the vocabulary holds (a model compiled over `(){}`
    for a task with `[]` too), or all of them when it holds none."""
    return [p for p in pairs if p[0] in vocab and p[1] in vocab] or pairs


def dyck(pairs: Sequence[str]) -> Sampler:
    """Dyck inputs: 40% prefixes of well-nested words, 30% corrupted words, 30% random strings."""
    def sample(vocab: Sequence[Token], n: int, rng: np.random.Generator, min_len: int,
               max_len: int) -> list[list[Token]]:
        pairs_here = _pairs_in(pairs, vocab)
        out = []
        for k in _lengths(n, rng, min_len, max_len).tolist():
            r = rng.random()
            full = k + (k % 2)
            if r < 0.4:
                out.append(_balanced(pairs_here, full, rng)[:k])
            elif r < 0.7:
                out.append(_corrupt(_balanced(pairs_here, full, rng)[:k], vocab, rng))
            else:
                out.append(uniform(vocab, 1, rng, k, k)[0])
        return out
    return sample


def _shuffled(pairs: Sequence[str], length: int, rng: np.random.Generator) -> list[str]:
    """A balanced shuffle-Dyck word: each bracket type balanced on its own, types interleaved."""
    counts = rng.multinomial(length // 2, [1 / len(pairs)] * len(pairs))
    words = [_balanced([p], 2 * int(c), rng) for p, c in zip(pairs, counts)]
    slots = np.concatenate([np.full(len(w), j) for j, w in enumerate(words)]).astype(int)
    rng.shuffle(slots)
    iters = [iter(w) for w in words]
    return [next(iters[j]) for j in slots.tolist()]


def shuffle_dyck(pairs: Sequence[str]) -> Sampler:
    """Shuffle-Dyck inputs: half balanced words, a quarter corrupted ones, a quarter random."""
    def sample(vocab: Sequence[Token], n: int, rng: np.random.Generator, min_len: int,
               max_len: int) -> list[list[Token]]:
        pairs_here = _pairs_in(pairs, vocab)
        out = []
        for k in _lengths(n, rng, min_len, max_len).tolist():
            r = rng.random()
            even = k - (k % 2)  # balanced words have even length
            if even < max(min_len, 2):
                out.append(uniform(vocab, 1, rng, k, k)[0])
            elif r < 0.5:
                out.append(_shuffled(pairs_here, even, rng))
            elif r < 0.75:
                out.append(_corrupt(_shuffled(pairs_here, even, rng), vocab, rng))
            else:
                out.append(uniform(vocab, 1, rng, k, k)[0])
        return out
    return sample


def planted(pattern: Sequence[Token], rate: float = 0.6) -> Sampler:
    """Uniform strings where, with probability `rate`, `pattern` is written at a random place."""
    def sample(vocab: Sequence[Token], n: int, rng: np.random.Generator, min_len: int,
               max_len: int) -> list[list[Token]]:
        out = uniform(vocab, n, rng, min_len, max_len)
        for x in out:
            if len(x) >= len(pattern) and rng.random() < rate:
                at = int(rng.integers(len(x) - len(pattern) + 1))
                x[at: at + len(pattern)] = list(pattern)
        return out
    return sample


def palindromes(rate: float = 0.5) -> Sampler:
    """Uniform strings, a fraction `rate` of them mirrored into palindromes."""
    def sample(vocab: Sequence[Token], n: int, rng: np.random.Generator, min_len: int,
               max_len: int) -> list[list[Token]]:
        out = uniform(vocab, n, rng, min_len, max_len)
        for i, x in enumerate(out):
            if rng.random() < rate:
                half = x[: (len(x) + 1) // 2]
                out[i] = half + half[: len(x) // 2][::-1]
        return out
    return sample


def with_bos(inner: Sampler, bos: Token) -> Sampler:
    """Inputs of `inner` (one token shorter) preceded by the `bos` token."""
    def sample(vocab: Sequence[Token], n: int, rng: np.random.Generator, min_len: int,
               max_len: int) -> list[list[Token]]:
        body = [t for t in vocab if t != bos]
        return [[bos] + x for x in inner(body, n, rng, max(min_len - 1, 1), max_len - 1)]
    return sample


def distinct_sample(sample: Callable[[int, np.random.Generator], list[list[Token]]], n: int,
                    rng: np.random.Generator, draws: int = 8,
                    exclude: set[tuple[Token, ...]] | None = None) -> list[list[Token]]:
    """`n` distinct inputs from `sample(k, rng)`, drawing again while duplicates leave fewer
    (short inputs repeat often); fewer only when `draws` draws find no more. Inputs in
    `exclude` are skipped, and those returned are added to it (held-out sets kept apart)."""
    out: list[list[Token]] = []
    seen: set[tuple[Token, ...]] = exclude if exclude is not None else set()
    for _ in range(draws):
        for x in sample(n, rng):
            key = tuple(x)
            if key not in seen:
                seen.add(key)
                out.append(list(x))
                if len(out) == n:
                    return out
    return out
