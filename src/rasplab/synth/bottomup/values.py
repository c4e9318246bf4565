"""The engine's fast value representation: every s-op is one float array over the search examples.

Inputs are padded into (B, N); an s-op value is a float64 (B, N) array (0 at padding) of one of
three kinds: NUM numbers, BOOL 0/1, CAT codes into a vocabulary sorted by the values' natural
order (so `<` on codes is `<` on the values). A selector is a bool (B, N, N) array S[b, q, k].
Values are deduplicated by a random projection of their contents (observational equivalence).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rasplab.lang.values import is_number, value_key

NUM, BOOL, CAT = 0, 1, 2
KINDS = (NUM, BOOL, CAT)
KIND_NAMES = {NUM: "num", BOOL: "bool", CAT: "cat"}
DECIMALS = 6
#: numbers within this (relative and absolute) are the same output in every goal check and in
#: the search's check of a program: the precision of outputs that passed through float32 or
#: were written with DECIMALS decimals
TOL = 1e-6


def natural_order(v: Any) -> tuple:
    """Sort key putting None first, then booleans, numbers, strings (each in its own order)."""
    if v is None:
        return (0, 0, "")
    if isinstance(v, bool):
        return (1, int(v), "")
    if is_number(v):
        return (2, v, "")
    return (3, 0, str(v))


def kind_of(values: Sequence[Any]) -> int:
    """The kind that holds all `values`: NUM for numbers, BOOL for booleans, CAT otherwise."""
    if values and all(is_number(v) for v in values):
        return NUM
    if values and all(isinstance(v, bool) for v in values):
        return BOOL
    return CAT


class Space:
    """The search examples, encoded once: leaves, outputs, masks and fingerprint projections."""

    def __init__(self, inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]],
                 seed: int = 0, causal: bool = False):
        self.inputs = [list(x) for x in inputs]
        self.outputs = [list(y) for y in outputs]
        self.B = len(self.inputs)
        self.lengths = np.array([len(x) for x in self.inputs])
        self.N = int(self.lengths.max())
        self.valid = np.arange(self.N)[None, :] < self.lengths[:, None]
        self.pvalid = self.valid[:, :, None] & self.valid[:, None, :]
        #: causal mode: a query sees only keys at or before it, and `length` is the prefix's
        self.causal = causal
        if causal:
            self.pvalid = self.pvalid & np.tri(self.N, dtype=bool)[None]
        flat_tokens = [t for x in self.inputs for t in x]
        flat_out = [v for y in self.outputs for v in y]
        self.token_kind = NUM if all(is_number(t) for t in flat_tokens) else CAT
        cat_values = {t for t in flat_tokens if not is_number(t)}
        cat_values |= {v for v in flat_out if not (is_number(v) or isinstance(v, bool))}
        cat_values.add(None)
        self.vocab: list[Any] = sorted(cat_values, key=natural_order)
        self.code = {value_key(v): i for i, v in enumerate(self.vocab)}
        self.token_values = sorted(set(flat_tokens), key=natural_order)

        self.indices = np.where(self.valid, np.arange(self.N)[None, :], 0).astype(np.float64)
        self.length = np.where(self.valid, self.indices + 1 if causal else self.lengths[:, None],
                               0).astype(np.float64)
        self.tokens = self.encode_rows(self.inputs, self.token_kind)

        self.y_kind = kind_of([v for v in flat_out if v is not None]) \
            if any(v is not None for v in flat_out) else CAT
        #: the outputs in each kind's encoding, NaN where a value has no encoding in that kind
        self.y = {k: self.encode_rows(self.outputs, k, missing=np.nan) for k in KINDS}
        distinct = sorted({value_key(v) for v in flat_out}, key=lambda t: natural_order(t[1]))
        self.y_table = [v for _, v in distinct]
        ycode = {k: i for i, k in enumerate(distinct)}
        self.y_codes = np.full((self.B, self.N), -1, dtype=np.int64)
        for b, y in enumerate(self.outputs):
            self.y_codes[b, : len(y)] = [ycode[value_key(v)] for v in y]

        rng = np.random.default_rng(seed)
        top = np.iinfo(np.uint64).max
        self.h_sop = rng.integers(1, top, size=self.B * self.N, dtype=np.uint64) | np.uint64(1)
        words = -(-self.B * self.N * self.N // 64)
        self.h_sel = rng.integers(1, top, size=words, dtype=np.uint64) | np.uint64(1)

    # --- encoding ------------------------------------------------------------------------
    def encode(self, value: Any, kind: int, missing: float = np.nan) -> float:
        """One value as a float of `kind` (`missing` when the kind cannot hold it)."""
        if kind == NUM:
            return float(value) if is_number(value) else missing
        if kind == BOOL:  # RASP compares booleans with numbers: True == 1, False == 0
            return float(value) if isinstance(value, bool) or (
                is_number(value) and value in (0, 1)) else missing
        i = self.code.get(value_key(value))
        return float(i) if i is not None else missing

    def encode_rows(self, rows: Sequence[Sequence[Any]], kind: int,
                    missing: float = np.nan) -> np.ndarray:
        out = np.zeros((self.B, self.N))
        for b, row in enumerate(rows):
            out[b, : len(row)] = [self.encode(v, kind, missing) for v in row]
        return out

    def decode(self, x: float, kind: int) -> Any:
        """A Python constant for an encoded value (integral numbers become ints)."""
        if kind == BOOL:
            return bool(x)
        if kind == CAT:
            return self.vocab[int(x)]
        return int(x) if float(x).is_integer() else float(x)

    # --- fingerprints --------------------------------------------------------------------
    def sop_prints(self, values: np.ndarray) -> np.ndarray:
        """(m,) uint64 hashes of (m, B, N) values rounded to 1e-6 (padding must be 0).

        Each value becomes one 64-bit word, injectively: numbers below 2**61 / 10**6 in size
        their rounded micro-units; larger ones, inf, -inf and NaN (one NaN) words of their own
        outside that range, so no two different values share a word (a cast to int64 would
        send all of them to one)."""
        flat = values.reshape(len(values), -1)
        small = np.abs(flat) < _SMALL  # False for NaN and the infinities
        with np.errstate(invalid="ignore", over="ignore"):
            q = np.rint(np.where(small, flat, 0.0) * 10.0 ** DECIMALS).astype(np.int64)
        words = q.view(np.uint64)
        if not small.all():
            words = np.where(small, words, _large_words(flat))
        return (words * self.h_sop).sum(axis=1)

    def sel_prints(self, sels: np.ndarray) -> np.ndarray:
        """(m,) uint64 hashes of (m, B, N, N) selectors (padding must be False)."""
        packed = np.packbits(sels.reshape(len(sels), -1), axis=1)
        pad = len(self.h_sel) * 8 - packed.shape[1]
        if pad:
            packed = np.pad(packed, ((0, 0), (0, pad)))
        return (packed.view(np.uint64) * self.h_sel).sum(axis=1)

    def clean(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values with padding zeroed, and which rows are finite everywhere (valid results)."""
        finite = np.isfinite(values) | ~self.valid
        ok = finite.reshape(len(values), -1).all(axis=1)
        return np.where(self.valid & finite, values, 0.0), ok


#: values at least this large (and non-finite ones) are fingerprinted by their float bits
_SMALL = 2.0 ** 61 / 10.0 ** DECIMALS
#: the float bits of _SMALL with the sign cleared: the smallest magnitude of a large value
_LARGE_BASE = np.array(_SMALL).view(np.uint64)[()]
_TOP = np.uint64(1 << 63)


def _large_words(flat: np.ndarray) -> np.ndarray:
    """Words for large and non-finite values: [2**62, 2**63) for positive ones and NaN,
    [2**63, 2**63 + 2**62) for negative ones; rounded small values never reach that range."""
    bits = np.where(np.isnan(flat), np.nan, flat).view(np.uint64)
    magnitude = bits & ~_TOP
    # for |v| >= _SMALL the magnitude's bits are >= _LARGE_BASE, and fewer than 2**62 above it
    offset = (magnitude - np.minimum(magnitude, _LARGE_BASE)) & np.uint64((1 << 62) - 1)
    return np.where(bits >= _TOP, _TOP, np.uint64(1 << 62)) + offset
