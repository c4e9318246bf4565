"""Distilling models compiled by others: RASP programs written in Tracr's styles, compiled with
Tracr, distilled white box (attention patterns) and black box (outputs only).

The programs are written once, as rasplab programs (the Python embedding), the way Tracr's
library writes its own: numerical means, categorical maps as lambdas over up to 40 tokens,
SequenceMaps over two s-ops, shifts with fill values, parity permutations of the indices,
numeric compositions, sorts, histograms and Dyck-like balances (lengths up to 8). Each is
translated node by node into `tracr.rasp` and compiled by Tracr; rasplab's own compiler compiles
it too (its size is recorded). Distillation sees only the Tracr model.

Three phases, so that Tracr (slow to compile, JAX) runs once and any rasplab tree can be
measured against the same models:

    # 1. compile with Tracr (needs tracr-pypi), save each model as numpy arrays
    # TRACR_PY: a venv's python with rasplab and `pip install tracr-pypi`
    TRACR_PY benchmarks/tracr_programs.py prep --models DIR
    # 2. distill with the rasplab on PYTHONPATH (once per tree: "before", "after", ...)
    PYTHONPATH=TREE/src python benchmarks/tracr_programs.py run --models DIR --label after \
        --budget 12
    # 3. merge the labelled runs into benchmarks/results/tracr-programs.{md,json}
    python benchmarks/tracr_programs.py table --labels before after

A saved model runs in numpy (`TracrModel`): Tracr's transformer is one-hot embeddings,
attention and ReLU MLPs without layer norm, then a projection of the residual onto the output
space (argmax for a categorical output). `prep` checks it against Tracr's own `apply`.
Without Tracr, `run --compiler rasplab` distils rasplab-compiled models instead (and says so).

A program counts as equivalent when it equals the model on every input up to the maximum
length (all of them when there are at most 100,000, else 2,000: 250 distinct ones per length);
equality with the source program is reported beside it (Tracr's model differs from its source
where an aggregate selects nothing: it outputs a fill value there).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

from rasplab.lang import (  # noqa: E402
    Aggregate,
    Comparison,
    Map,
    Select,
    SelectorWidth,
    SequenceMap,
    indices,
    numerical,
    tokens,
)
from rasplab.lang.ast import NUMERICAL  # noqa: E402

RESULTS = Path(__file__).parent / "results"
EXHAUSTIVE = 100_000
SAMPLES_PER_LENGTH = 250
BOS = "BOS"


# ---- Tracr's library idioms, written with rasplab.lang ------------------------------------------
def make_length() -> Any:
    """The number of keys an always-true selector sees (Tracr's make_length)."""
    return SelectorWidth(Select(tokens, tokens, Comparison.TRUE))


LENGTH = make_length()


def num_map(f: Callable, sop: Any) -> Any:
    return numerical(Map(f, sop))


def make_frac_prevs(bools: Any) -> Any:
    """The fraction of positions up to here where `bools` holds (Tracr's make_frac_prevs)."""
    prevs = Select(indices, indices, Comparison.LEQ)
    return numerical(Aggregate(prevs, bools, default=0))


def shift_by(offset: int, sop: Any) -> Any:
    """`sop` shifted right by `offset`, nothing selected at the start (Tracr's shift_by)."""
    sel = Select(indices, indices, lambda k, q, o=offset: q == k + o)
    return Aggregate(sel, sop)


def fill_start(shifted: Any, offset: int, value: Any) -> Any:
    """A shift's first `offset` positions set to `value` (they select nothing)."""
    return SequenceMap(lambda x, i, o=offset, v=value: x if i >= o else v, shifted, indices)


def fill_end(shifted: Any, value: Any) -> Any:
    """A left shift's last position set to `value`."""
    last = SequenceMap(lambda i, n: i == n - 1, indices, LENGTH)
    return SequenceMap(lambda x, is_last, v=value: v if is_last else x, shifted, last)


def permute(target: Any, sop: Any = tokens) -> Any:
    """`sop` read at index `target` (each query selects exactly one key)."""
    return Aggregate(Select(indices, target, Comparison.EQ), sop)


def by_index(f: Callable[[int, int], int]) -> Any:
    """An index permutation written as a table over (index, length)."""
    return SequenceMap(f, indices, LENGTH)


def first_of(sop: Any) -> Any:
    return Aggregate(Select(indices, indices, lambda k, q: k == 0), sop)


def make_reverse(sop: Any) -> Any:
    opp_idx = SequenceMap(lambda n, i: n - i, LENGTH, indices)
    opp_idx = Map(lambda x: x - 1, opp_idx)
    return Aggregate(Select(indices, opp_idx, Comparison.EQ), sop)


def make_hist() -> Any:
    return SelectorWidth(Select(tokens, tokens, Comparison.EQ))


def make_sort_unique(vals: Any, keys: Any) -> Any:
    smaller = Select(keys, keys, Comparison.LT)
    target_pos = SelectorWidth(smaller)
    return Aggregate(Select(target_pos, indices, Comparison.EQ), vals)


def make_sort(vals: Any, keys: Any, max_seq_len: int, min_key: float) -> Any:
    keys = SequenceMap(lambda x, i, m=max_seq_len, k=min_key: x + k * i / m, keys, indices)
    return make_sort_unique(vals, keys)


def make_pair_balance(open_t: str, close_t: str) -> Any:
    opens = make_frac_prevs(num_map(lambda x, t=open_t: x == t, tokens))
    closes = make_frac_prevs(num_map(lambda x, t=close_t: x == t, tokens))
    return numerical(SequenceMap(lambda a, b: a - b, opens, closes))


def make_shuffle_dyck(pairs: Sequence[str]) -> Any:
    """Tracr's make_shuffle_dyck: every pair balanced at the end, never negative before."""
    balances = [make_pair_balance(p[0], p[1]) for p in pairs]
    any_negative = Map(lambda x: x < 0, balances[0])
    for b in balances[1:]:
        any_negative = SequenceMap(lambda x, y: x or y, any_negative, Map(lambda x: x < 0, b))
    any_negative = num_map(lambda x: x, any_negative)
    has_neg = numerical(Aggregate(Select(indices, indices, Comparison.TRUE), any_negative,
                                  default=0))
    all_zero = Map(lambda x: x == 0, balances[0])
    for b in balances[1:]:
        all_zero = SequenceMap(lambda x, y: x and y, all_zero, Map(lambda x: x == 0, b))
    last_zero = Aggregate(Select(indices, LENGTH, lambda k, q: k == q - 1), all_zero)
    not_has_neg = Map(lambda x: not x, has_neg)
    return SequenceMap(lambda a, b: a and b, last_zero, not_has_neg)


def detect_pattern(sop: Any, pattern: str) -> Any:
    """Tracr's detect_pattern: True at the last position of each occurrence of `pattern`."""
    n = len(pattern)
    matches = []
    for i, p in enumerate(pattern):
        shifted = shift_by(n - 1 - i, sop) if i < n - 1 else sop
        matches.append(Map(lambda x, p=p: x == p, shifted))
    out = matches[0]
    for m in matches[1:]:
        out = SequenceMap(lambda a, b: a and b, out, m)
    return out


def _fib(k: int) -> int:
    a, b = 0, 1
    for _ in range(k):
        a, b = b, a + b
    return a


def _is_max() -> Any:
    greater = SelectorWidth(Select(tokens, tokens, Comparison.GT))
    return Map(lambda g: g == 0, greater)


def _max_token() -> Any:
    is_max = _is_max()
    return Aggregate(Select(is_max, is_max, lambda k, q: k), tokens)


def _evens_then_odds(i: int, n: int) -> int:
    half = (n + 1) // 2
    return 2 * i if i < half else 2 * (i - half) + 1


def _swap_odd_next(i: int, n: int) -> int:
    if i % 2 == 1:
        return i + 1 if i + 1 < n else i
    return i - 1 if i > 0 else 0


def _count_a_prefix() -> Any:
    at = SequenceMap(lambda t, i: i if t == "a" else 99, tokens, indices)
    return SelectorWidth(Select(at, indices, Comparison.LEQ))


def _frac_distinct() -> Any:
    inv = num_map(lambda h: 1 / h if h else 0, make_hist())  # Tracr evaluates h = 0 too
    return numerical(Aggregate(Select(indices, indices, Comparison.TRUE), inv, default=0))


@dataclass(frozen=True)
class Spec:
    """One benchmark program: its name, style, builder, vocabulary and maximum length."""

    name: str
    style: str
    build: Callable[[], Any]
    vocab: tuple
    max_len: int


INTS = lambda k: tuple(range(k))  # noqa: E731
LETTERS = tuple("abcdefghijklmnopqrstuvwxyz")

SPECS: list[Spec] = [
    # numerical means
    Spec("frac_prevs_x", "mean", lambda: make_frac_prevs(num_map(lambda t: t == "x", tokens)),
         tuple("abx"), 8),
    # (Tracr averages only 0/1 values: a mean of the tokens themselves does not compile)
    Spec("frac_large", "mean", lambda: numerical(Aggregate(
        Select(indices, indices, Comparison.TRUE), num_map(lambda t: t >= 3, tokens),
        default=0)), INTS(5), 6),
    Spec("frac_smaller", "mean", lambda: numerical(Aggregate(
        Select(tokens, tokens, Comparison.LT), num_map(lambda t: 1, tokens), default=0)),
         INTS(6), 6),
    Spec("frac_prevs_bc", "mean", lambda: make_frac_prevs(
        num_map(lambda t: t in "bc", tokens)), tuple("abcd"), 6),
    Spec("frac_open", "mean", lambda: make_frac_prevs(num_map(lambda t: t == "(", tokens)),
         tuple("()"), 8),
    Spec("frac_prevs_vowel", "mean", lambda: make_frac_prevs(
        num_map(lambda t: t in "aeiou", tokens)), tuple("abcdefgh"), 6),
    # categorical maps, lambdas as tables
    Spec("round10", "table", lambda: Map(lambda x: (x + 5) // 10 * 10, tokens), INTS(40), 5),
    Spec("reflect", "table", lambda: Map(lambda x: x if x < 20 else 39 - x, tokens),
         INTS(40), 5),
    Spec("tag_range", "table", lambda: Map(
        lambda x: "low" if x < 13 else ("mid" if x < 26 else "high"), tokens), INTS(40), 5),
    Spec("fib_mod10", "table", lambda: Map(lambda x: _fib(x) % 10, tokens), INTS(20), 5),
    Spec("caesar", "table", lambda: Map(
        lambda c: LETTERS[(LETTERS.index(c) + 1) % 26], tokens), LETTERS, 5),
    Spec("is_vowel", "table", lambda: Map(lambda c: c in "aeiou", tokens), LETTERS, 6),
    Spec("square_mod11", "table", lambda: Map(lambda x: x * x % 11, tokens), INTS(22), 5),
    Spec("arcsine", "table", lambda: Map(
        lambda x: int(round(10 * math.asin(x / 20))), tokens), INTS(21), 5),
    # SequenceMaps over two s-ops
    Spec("tok_plus_idx", "seqmap", lambda: SequenceMap(lambda t, i: t + i, tokens, indices),
         INTS(10), 6),
    Spec("tok_idx_mod5", "seqmap", lambda: SequenceMap(lambda t, i: t * i % 5, tokens, indices),
         INTS(10), 6),
    Spec("repeat_by_index", "seqmap", lambda: SequenceMap(
        lambda t, i: t * (i + 1), tokens, indices), tuple("abc"), 5),
    Spec("pair_max_reverse", "seqmap", lambda: SequenceMap(
        max, tokens, make_reverse(tokens)), INTS(6), 6),
    Spec("palindrome_at", "seqmap", lambda: SequenceMap(
        lambda a, b: a == b, tokens, make_reverse(tokens)), tuple("abc"), 7),
    Spec("upper_odd", "seqmap", lambda: SequenceMap(
        lambda t, i: t if i % 2 == 0 else t.upper(), tokens, indices), tuple("abcd"), 6),
    # shifts with fill values
    Spec("shift_right_fill", "shift", lambda: fill_start(shift_by(1, tokens), 1, "_"),
         tuple("abcd"), 7),
    Spec("shift_left_fill", "shift", lambda: fill_end(shift_by(-1, tokens), "_"),
         tuple("abcd"), 7),
    Spec("shift2_fill0", "shift", lambda: fill_start(shift_by(2, tokens), 2, 0), INTS(6), 6),
    Spec("repeat_prev", "shift", lambda: SequenceMap(
        lambda a, b: a == b, tokens, fill_start(shift_by(1, tokens), 1, "_")),
         tuple("abc"), 7),
    Spec("detect_abc", "shift", lambda: detect_pattern(tokens, "abc"), tuple("abc"), 7),
    Spec("prev_plus_cur", "shift", lambda: SequenceMap(
        lambda a, b: a + b, tokens, fill_start(shift_by(1, tokens), 1, 0)), INTS(6), 6),
    Spec("detect_ab", "shift", lambda: detect_pattern(tokens, "ab"), tuple("abc"), 7),
    Spec("detect_abba", "shift", lambda: detect_pattern(tokens, "abba"), tuple("ab"), 8),
    Spec("prev_max_cur", "shift", lambda: SequenceMap(
        max, tokens, fill_start(shift_by(1, tokens), 1, 0)), INTS(6), 6),
    # parity permutations of the indices
    Spec("swap_pairs", "permutation", lambda: permute(by_index(
        lambda i, n: i ^ 1 if (i ^ 1) < n else i)), tuple("abcd"), 7),
    Spec("swap_odd_next", "permutation", lambda: permute(by_index(_swap_odd_next)),
         tuple("abcd"), 7),
    Spec("interleave_reverse", "permutation", lambda: permute(by_index(
        lambda i, n: i // 2 if i % 2 == 0 else n - 1 - i // 2)), tuple("abcd"), 7),
    Spec("evens_then_odds", "permutation", lambda: permute(by_index(_evens_then_odds)),
         tuple("abc"), 7),
    Spec("rotate_left", "permutation", lambda: permute(by_index(
        lambda i, n: (i + 1) % n if n else 0)), tuple("abcd"), 7),
    Spec("reverse", "permutation", lambda: make_reverse(tokens), tuple("abcd"), 7),
    # numeric compositions
    Spec("multiple_of_first", "numeric", lambda: SequenceMap(
        lambda t, f: t % f == 0, tokens, first_of(tokens)), tuple(range(1, 10)), 5),
    Spec("poly_mod17", "numeric", lambda: Map(lambda x: (x * x + 3 * x + 1) % 17, tokens),
         INTS(16), 5),
    Spec("scale_by_max", "numeric", lambda: SequenceMap(
        lambda t, m: 10 * t // m if m else 0, tokens, _max_token()), INTS(7), 5),
    Spec("diff_from_first", "numeric", lambda: SequenceMap(
        lambda t, f: t - f, tokens, first_of(tokens)), INTS(7), 6),
    Spec("tok_mod_idx1", "numeric", lambda: SequenceMap(
        lambda t, i: t % (i + 1), tokens, indices), INTS(10), 6),
    Spec("tok_div_idx1", "numeric", lambda: SequenceMap(
        lambda t, i: t // (i + 1), tokens, indices), INTS(10), 6),
    Spec("idx_mod_tok1", "numeric", lambda: SequenceMap(
        lambda i, t: i % (t + 1), indices, tokens), INTS(6), 7),
    Spec("last_token", "numeric", lambda: Aggregate(
        Select(indices, LENGTH, lambda k, q: k == q - 1), tokens), tuple("abcd"), 7),
    Spec("first_token", "numeric", lambda: first_of(tokens), tuple("abcd"), 7),
    # sorts
    Spec("sort", "sort", lambda: make_sort(tokens, tokens, 8, 1), INTS(6), 6),
    Spec("sort_desc", "sort", lambda: make_sort(tokens, Map(lambda x: -x, tokens), 8, 1),
         INTS(6), 6),
    Spec("sort_freq", "sort", lambda: make_sort(
        tokens, Map(lambda h: -h, make_hist()), 8, 1), tuple("abc"), 6),
    # histograms
    Spec("hist", "histogram", make_hist, tuple("abcd"), 7),
    Spec("count_smaller", "histogram", lambda: SelectorWidth(
        Select(tokens, tokens, Comparison.LT)), INTS(6), 6),
    Spec("count_a_prefix", "histogram", _count_a_prefix, tuple("abc"), 7),
    Spec("frac_distinct", "histogram", _frac_distinct, tuple("abc"), 6),
    Spec("count_eq_first", "histogram", lambda: SelectorWidth(
        Select(tokens, first_of(tokens), Comparison.EQ)), tuple("abcd"), 7),
    Spec("length", "histogram", make_length, tuple("ab"), 8),
    # Dyck-like balances
    Spec("pair_balance", "dyck", lambda: make_pair_balance("(", ")"), tuple("()"), 8),
    Spec("below_zero", "dyck", lambda: Map(lambda x: x < 0, make_pair_balance("(", ")")),
         tuple("()"), 8),
    Spec("dyck1", "dyck", lambda: make_shuffle_dyck(["()"]), tuple("()"), 8),
    Spec("shuffle_dyck2", "dyck", lambda: make_shuffle_dyck(["()", "{}"]), tuple("(){}"), 6),
]


# ---- rasplab program -> tracr.rasp ---------------------------------------------------------------
def to_tracr(program: Any) -> Any:
    """The same program as a `tracr.rasp` expression, node by node (numerical where marked)."""
    from tracr.compiler import lib
    from tracr.rasp import rasp

    from rasplab.lang import ast as A
    from rasplab.lang import functions as F

    comparisons = {F.EQ: rasp.Comparison.EQ, F.NE: rasp.Comparison.NEQ,
                   F.LT: rasp.Comparison.LT, F.LE: rasp.Comparison.LEQ,
                   F.GT: rasp.Comparison.GT, F.GE: rasp.Comparison.GEQ,
                   F.TRUE: rasp.Comparison.TRUE, F.FALSE: rasp.Comparison.FALSE}
    memo: dict[int, Any] = {}

    def enc(node: Any, expr: Any) -> Any:
        return rasp.numerical(expr) if node.encoding == NUMERICAL else rasp.categorical(expr)

    def go(node: Any) -> Any:
        if id(node) in memo:
            return memo[id(node)]
        if isinstance(node, A.TokensType):
            out = rasp.tokens
        elif isinstance(node, A.IndicesType):
            out = rasp.indices
        elif isinstance(node, A.LengthType):
            out = lib.make_length()
        elif isinstance(node, A.Map):
            out = enc(node, rasp.Map(node.fn, go(node.arg)))
        elif isinstance(node, A.SequenceMap):
            a, b = (go(x) for x in node.args)
            f = node.fn
            if node.encoding == NUMERICAL and all(x.encoding == NUMERICAL for x in node.args) \
                    and f(0, 0) == 0 and f(2, 3) == 2 * f(1, 0) + 3 * f(0, 1):
                out = rasp.numerical(rasp.LinearSequenceMap(a, b, f(1, 0), f(0, 1)))
            else:
                out = enc(node, rasp.SequenceMap(f, a, b))
        elif isinstance(node, A.Aggregate):
            default = 0 if node.encoding == NUMERICAL else None
            out = enc(node, rasp.Aggregate(go(node.selector), go(node.sop), default=default))
        elif isinstance(node, A.SelectorWidth):
            out = rasp.SelectorWidth(go(node.selector))
        elif isinstance(node, A.Select):
            pred = comparisons.get(node.predicate)
            if pred is None:
                pred = lambda k, q, f=node.predicate: f(k, q)  # noqa: E731
            out = rasp.Select(go(node.keys), go(node.queries), pred)
        else:
            raise NotImplementedError(f"no Tracr translation for {type(node).__name__}")
        memo[id(node)] = out
        return out

    return go(program)


# ---- a Tracr model in numpy ------------------------------------------------------------------
class TracrModel:
    """A Tracr-assembled model run in numpy: tokens in, decoded outputs out, attention out."""

    def __init__(self, path: Path):
        data = np.load(path / "weights.npz")
        meta = json.loads((path / "meta.json").read_text())
        self.params = {k: data[k] for k in data.files}
        self.layers, self.heads, self.key_size = meta["layers"], meta["heads"], meta["key_size"]
        self.token_ids = {t: i for t, i in meta["token_ids"]}  # keyed by _token_key
        self.outputs = meta["outputs"]  # values by output id; None for a numerical output
        self.vocab, self.max_len = [_token(t) for t in meta["vocab"]], meta["max_len"]

    def _forward(self, xs: list[list[Any]], want_patterns: bool = False
                 ) -> tuple[np.ndarray, list[np.ndarray]]:
        p = self.params
        enc = self.token_ids
        ids = np.array([[enc[_token_key(BOS)]] + [enc[_token_key(t)] for t in x] for x in xs])
        B, T = ids.shape
        res = p["token_embed"][ids] + p["pos_embed"][np.arange(T)][None]
        patterns = []
        H, K = self.heads, self.key_size
        for layer in range(self.layers):
            pre = f"layer_{layer}"
            q = (res @ p[f"{pre}.query.w"] + p[f"{pre}.query.b"]).reshape(B, T, H, K)
            k = (res @ p[f"{pre}.key.w"] + p[f"{pre}.key.b"]).reshape(B, T, H, K)
            v = res @ p[f"{pre}.value.w"] + p[f"{pre}.value.b"]
            v = v.reshape(B, T, H, -1)
            logits = np.einsum("bthd,bThd->bhtT", q, k) / np.sqrt(K).astype(res.dtype)
            logits = logits - logits.max(axis=-1, keepdims=True)
            w = np.exp(logits)
            w = w / w.sum(axis=-1, keepdims=True)
            if want_patterns:
                patterns.append(w)
            attn = np.einsum("bhtT,bThd->bthd", w, v).reshape(B, T, -1)
            res = res + attn @ p[f"{pre}.linear.w"] + p[f"{pre}.linear.b"]
            hidden = np.maximum(res @ p[f"{pre}.mlp1.w"] + p[f"{pre}.mlp1.b"], 0)
            res = res + hidden @ p[f"{pre}.mlp2.w"] + p[f"{pre}.mlp2.b"]
        return res @ p["unembed"], patterns

    def predict(self, xs: list[list[Any]]) -> list[list[Any]]:
        """Outputs per input (BOS position dropped), batched by length."""
        out: list[list[Any] | None] = [None] * len(xs)
        by_len: dict[int, list[int]] = {}
        for i, x in enumerate(xs):
            by_len.setdefault(len(x), []).append(i)
        for _, idx in sorted(by_len.items()):
            for s in range(0, len(idx), 2048):
                chunk = idx[s: s + 2048]
                raw, _ = self._forward([xs[i] for i in chunk])
                for i, row in zip(chunk, raw[:, 1:]):
                    out[i] = self._decode(row)
        return out  # type: ignore[return-value]

    def _decode(self, row: np.ndarray) -> list[Any]:
        if self.outputs is None:  # numerical: the value itself, to Tracr's float32 precision
            return [_clean_number(float(v)) for v in np.ravel(row)]
        return [_token(self.outputs[int(j)]) for j in row.argmax(axis=-1)]

    def attention(self, xs: list[list[Any]]) -> dict[str, list[np.ndarray]]:
        """Per head, one (n, n) pattern per input, BOS row and column removed."""
        out: dict[str, list[np.ndarray]] = {}
        for x in xs:
            _, pats = self._forward([x], want_patterns=True)
            for layer, w in enumerate(pats):
                for h in range(w.shape[1]):
                    out.setdefault(f"blocks.{layer}.attn.hook_pattern[{h}]", []).append(
                        np.asarray(w[0, h, 1:, 1:], dtype=np.float64))
        return out


def _clean_number(v: float) -> float | int:
    """Tracr's float32 output rounded to 6 decimals (its precision); whole numbers as ints."""
    r = round(v, 6)
    return int(r) if r == int(r) else r


def _token_key(t: Any) -> str:
    return json.dumps(t)


def _token(t: Any) -> Any:
    return tuple(t) if isinstance(t, list) else t


def save_tracr_model(model: Any, spec: Spec, out: Path) -> None:
    """Tracr's assembled model as numpy arrays (the unembedding read off its module)."""
    import haiku as hk
    import jax.numpy as jnp

    cfg = model.model_config
    params = model.params
    arrays: dict[str, np.ndarray] = {
        "token_embed": np.asarray(params["token_embed"]["embeddings"]),
        "pos_embed": np.asarray(params["pos_embed"]["embeddings"])}
    names = {"query": "attn/query", "key": "attn/key", "value": "attn/value",
             "linear": "attn/linear", "mlp1": "mlp/linear_1", "mlp2": "mlp/linear_2"}
    for layer in range(cfg.num_layers):
        for short, long in names.items():
            for wb in ("w", "b"):
                arrays[f"layer_{layer}.{short}.{wb}"] = np.asarray(
                    params[f"transformer/layer_{layer}/{long}"][wb])
    d_model = arrays["token_embed"].shape[1]

    @hk.without_apply_rng
    @hk.transform
    def unembed(x: Any) -> Any:
        return model.get_compiled_model().unembed(x, use_unembed_argmax=False)

    m = np.asarray(unembed.apply({}, jnp.eye(d_model)))
    arrays["unembed"] = m.reshape(d_model, -1) if m.ndim == 1 else m
    numeric = m.ndim == 1
    outputs = None
    if not numeric:
        enc = model.output_encoder.encoding_map
        outputs = [None] * len(enc)
        for value, j in enc.items():
            outputs[j] = value
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "weights.npz", **arrays)
    meta = {"name": spec.name, "layers": cfg.num_layers, "heads": cfg.num_heads,
            "key_size": cfg.key_size, "d_model": d_model, "mlp_hidden": cfg.mlp_hidden_size,
            "token_ids": [[_token_key(t), i] for t, i in model.input_encoder.encoding_map.items()],
            "outputs": outputs, "vocab": list(spec.vocab), "max_len": spec.max_len}
    (out / "meta.json").write_text(json.dumps(meta))


# ---- inputs and equality -------------------------------------------------------------------
def check_inputs(vocab: Sequence[Any], max_len: int, seed: int = 0) -> tuple[list, str]:
    """Every input up to max_len when there are at most EXHAUSTIVE, else 250 per length."""
    import itertools

    total = sum(len(vocab) ** k for k in range(1, max_len + 1))
    if total <= EXHAUSTIVE:
        return [list(p) for k in range(1, max_len + 1)
                for p in itertools.product(vocab, repeat=k)], "exhaustive"
    rng = np.random.default_rng(seed)
    xs: list[list[Any]] = []
    for k in range(1, max_len + 1):
        if len(vocab) ** k <= SAMPLES_PER_LENGTH:
            xs += [list(p) for p in itertools.product(vocab, repeat=k)]
            continue
        seen: set[tuple] = set()
        while len(seen) < SAMPLES_PER_LENGTH:
            seen.add(tuple(vocab[i] for i in rng.integers(0, len(vocab), size=k)))
        xs += [list(s) for s in sorted(seen, key=repr)]
    return xs, f"{len(xs)} samples"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return a == b and (type(a) is type(b) or {type(a), type(b)} <= {int, float})


def agree(p: list | None, m: list | None) -> bool:
    return p is not None and m is not None and len(p) == len(m) and all(map(_same, p, m))


def safe_eval(program: Any, xs: list[list[Any]]) -> list[list[Any] | None]:
    from rasplab.lang import evaluate

    try:
        return evaluate(program, xs)
    except Exception:
        out: list[list[Any] | None] = []
        for x in xs:
            try:
                out.append(evaluate(program, [x])[0])
            except Exception:
                out.append(None)
        return out


# ---- phases ------------------------------------------------------------------------------------
def prep(models: Path, only: list[str] | None) -> None:
    """Compile each program with Tracr and save it; check the numpy run against Tracr's."""
    from tracr.compiler import compiling

    for spec in SPECS:
        if only and spec.name not in only:
            continue
        done = models / f"{spec.name}.status.json"
        if done.exists() and "error" not in json.loads(done.read_text()):
            continue  # saved by an earlier prep
        t0 = time.perf_counter()
        out = models / spec.name
        status: dict[str, Any] = {"name": spec.name}
        try:
            model = compiling.compile_rasp_to_model(
                to_tracr(spec.build()), vocab=set(spec.vocab), max_seq_len=spec.max_len,
                compiler_bos=BOS)
            save_tracr_model(model, spec, out)
            mine = TracrModel(out)
            t1 = time.perf_counter()
            rng = np.random.default_rng(1)  # one length: Tracr's JAX compiles each shape
            xs = [[spec.vocab[i] for i in rng.integers(0, len(spec.vocab), size=spec.max_len)]
                  for _ in range(12)]
            theirs = []
            for x in xs:
                dec = model.apply([BOS] + x).decoded[1:]
                theirs.append([_clean_number(v) if isinstance(v, float) else v for v in dec])
            status["numpy_matches_tracr"] = float(np.mean(
                [agree(a, b) for a, b in zip(mine.predict(xs), theirs)]))
            src = safe_eval(spec.build(), xs)
            status["tracr_matches_source"] = float(np.mean(
                [agree(a, b) for a, b in zip(src, theirs)]))
            status["compile_s"] = round(t1 - t0, 1)
            status["check_s"] = round(time.perf_counter() - t1, 1)
        except Exception as exc:  # Tracr cannot compile it: say why
            status["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        models.mkdir(parents=True, exist_ok=True)
        (models / f"{spec.name}.status.json").write_text(json.dumps(status))
        print(json.dumps(status), flush=True)


def rasplab_oracle(spec: Spec, white: bool) -> tuple[Any, Callable, str]:
    """A rasplab-compiled model (when Tracr's models are not available)."""
    from rasplab.compiler import compile_program
    from rasplab.distill.oracle import as_oracle

    model = compile_program(spec.build(), list(spec.vocab), spec.max_len)
    oracle = as_oracle(model)
    if not white:
        oracle.patterns = None
    return oracle, oracle.predict, "rasplab"


def tracr_oracle(spec: Spec, models: Path, white: bool) -> tuple[Any, Callable, str]:
    from rasplab.distill.oracle import Oracle

    model = TracrModel(models / spec.name)
    oracle = Oracle(predict=model.predict, vocab=tuple(spec.vocab), max_len=spec.max_len,
                    patterns=model.attention if white else None,
                    max_supported_len=spec.max_len,
                    description=f"Tracr model of {spec.name}")
    return oracle, model.predict, "tracr"


def rasplab_size(spec: Spec) -> dict[str, Any]:
    """rasplab's compiler on the same program: its size, or why it cannot."""
    from rasplab.compiler import compile_program

    try:
        m = compile_program(spec.build(), list(spec.vocab), spec.max_len)
        return {"layers": m.cfg.n_layers if hasattr(m.cfg, "n_layers") else None,
                "d_model": getattr(m.cfg, "d_model", None)}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc)[:120]}"}


def run(models: Path, label: str, budget: float, only: list[str] | None, compiler: str,
        out: Path, wait: bool = False) -> list[dict]:
    """Distil every model white box and black box; one row per program."""
    import torch

    from rasplab.distill import distill

    torch.set_num_threads(1)
    rows = []
    for spec in SPECS:
        if only and spec.name not in only:
            continue
        row: dict[str, Any] = {"name": spec.name, "style": spec.style,
                               "vocab": len(spec.vocab), "max_len": spec.max_len}
        status_file = models / f"{spec.name}.status.json"
        waited = 0
        while wait and compiler == "tracr" and not status_file.exists() and waited < 3600:
            time.sleep(10)  # `prep` is still compiling it
            waited += 10
        if compiler == "tracr":
            status = json.loads(status_file.read_text()) if status_file.exists() else {
                "error": "not prepared"}
            if "error" in status:
                row["error"] = f"Tracr: {status['error']}"
                rows.append(row)
                print(json.dumps(row), flush=True)
                _write(out, label, budget, compiler, rows)
                continue
            row["tracr_matches_source"] = status.get("tracr_matches_source")
        row["rasplab_compile"] = rasplab_size(spec)
        source = spec.build()
        xs, how = check_inputs(list(spec.vocab), spec.max_len)
        row["check"] = how
        for mode in ("white", "black"):
            try:
                oracle, predict, kind = (tracr_oracle(spec, models, mode == "white")
                                         if compiler == "tracr" else
                                         rasplab_oracle(spec, mode == "white"))
                if mode == "white":
                    model_out = predict(xs)
                    src_out = safe_eval(source, xs)
                    row["model_equals_source"] = float(np.mean(
                        [agree(s, m) for s, m in zip(src_out, model_out)]))
                t0 = time.perf_counter()
                r = distill(oracle, n=200, budget=budget, held_out=500, seed=0)
                secs = time.perf_counter() - t0
                prog_out = safe_eval(r.program, xs)
                eq_model = float(np.mean([agree(p, m) for p, m in zip(prog_out, model_out)]))
                eq_source = float(np.mean([agree(p, s) for p, s in zip(prog_out, src_out)]))
                v = r.verification
                row[mode] = {"equivalent": eq_model == 1.0, "agreement_checked": eq_model,
                             "equals_source": eq_source == 1.0, "source_agreement": eq_source,
                             "reported_agreement": v.agreement,
                             "reported_method": getattr(v, "method", "sampled"),
                             "seconds": round(secs, 1), "program": r.source}
            except Exception as exc:
                row[mode] = {"equivalent": False, "error": f"{type(exc).__name__}: "
                                                           f"{str(exc)[:200]}"}
        row["compiler"] = compiler
        rows.append(row)
        print(json.dumps({k: (v if k not in ("white", "black") else
                              {kk: vv for kk, vv in v.items() if kk != "program"})
                          for k, v in row.items()}), flush=True)
        _write(out, label, budget, compiler, rows)
    return rows


def _write(out: Path, label: str, budget: float, compiler: str, rows: list[dict]) -> None:
    out.write_text(json.dumps({"label": label, "budget": budget, "compiler": compiler,
                               "rows": rows}, indent=1))


def table(labels: list[str], raw: Path) -> str:
    """Merge the labelled runs: counts of equivalent programs, white and black box, per label."""
    runs = {lab: json.loads((raw / f"tracr-programs-{lab}.json").read_text()) for lab in labels}
    # every program any run has, in SPECS order (later runs may add programs)
    seen = {r["name"] for run_ in runs.values() for r in run_["rows"]}
    names = [spec.name for spec in SPECS if spec.name in seen]
    lines = ["| program | style | vocab | len | model = source | "
             + " | ".join(f"{lab} white | {lab} black" for lab in labels) + " |",
             "| --- | --- | --- | --- | --- | " + " | ".join("--- | ---" for _ in labels) + " |"]
    totals = {lab: [0, 0] for lab in labels}
    compiled = 0
    for name in names:
        rows = {lab: next((r for r in runs[lab]["rows"] if r["name"] == name), {})
                for lab in labels}
        first = next(r for r in reversed(list(rows.values())) if r)  # the latest run's row
        if "error" in first:
            lines.append(f"| {name} | {first['style']} | {first['vocab']} | {first['max_len']}"
                         f" | {first['error'][:60]} | " + " | ".join("– | –" for _ in labels)
                         + " |")
            continue
        compiled += 1
        cells = []
        for lab in labels:
            for i, mode in enumerate(("white", "black")):
                if not rows[lab]:
                    cells.append("–")  # not in this run
                    continue
                m = rows[lab].get(mode, {})
                ok = m.get("equivalent", False)
                totals[lab][i] += ok
                cells.append("yes" if ok else (f"{100 * m['agreement_checked']:.1f}%"
                                               if "agreement_checked" in m else "error"))
        mes = first.get("model_equals_source")
        lines.append(f"| {name} | {first['style']} | {first['vocab']} | {first['max_len']} | "
                     f"{'–' if mes is None else f'{100 * mes:.1f}%'} | " + " | ".join(cells)
                     + " |")
    summary = [f"{compiled} programs compiled by "
               f"{next(iter(runs.values()))['compiler']}; equivalent programs (equal to the "
               "model on every checked input):"]
    for lab in labels:
        w, b = totals[lab]
        n = sum(1 for r in runs[lab]["rows"] if "error" not in r)
        summary.append(f"- {lab} (budget {runs[lab]['budget']:g} s): white box {w}/{n}"
                       f" ({100 * w / max(n, 1):.0f}%), black box {b}/{n} "
                       f"({100 * b / max(n, 1):.0f}%)")
    summary += ["", "How far distillation's own reported agreement is from the checked one "
                "(programs not equivalent; reported minus checked, in points):"]
    for lab in labels:
        gaps = [100 * (m["reported_agreement"] - m["agreement_checked"])
                for r in runs[lab]["rows"] for m in (r.get("white"), r.get("black"))
                if m and "reported_agreement" in m and not m["equivalent"]]
        if gaps:
            methods = sorted({m.get("reported_method", "?") for r in runs[lab]["rows"]
                              for m in (r.get("white"), r.get("black")) if m and "seconds" in m})
            summary.append(f"- {lab} ({', '.join(methods)}): mean {np.mean(gaps):+.1f}, "
                           f"largest {max(gaps):+.1f}, over {len(gaps)} results")
    return "\n".join(summary + [""] + lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="phase", required=True)
    a = sub.add_parser("prep")
    a.add_argument("--models", type=Path, required=True)
    a.add_argument("--only", nargs="*")
    b = sub.add_parser("run")
    b.add_argument("--models", type=Path, required=True)
    b.add_argument("--label", required=True)
    b.add_argument("--budget", type=float, default=12.0)
    b.add_argument("--only", nargs="*")
    b.add_argument("--compiler", choices=("tracr", "rasplab"), default="tracr")
    b.add_argument("--raw", type=Path, default=RESULTS)
    b.add_argument("--wait", action="store_true", help="wait for `prep` to save each model")
    c = sub.add_parser("table")
    c.add_argument("--labels", nargs="+", required=True)
    c.add_argument("--raw", type=Path, default=RESULTS)
    c.add_argument("--intro", type=Path, help="Markdown put before the tables")
    args = p.parse_args(argv)
    if args.phase == "prep":
        prep(args.models, args.only)
    elif args.phase == "run":
        args.raw.mkdir(parents=True, exist_ok=True)
        run(args.models, args.label, args.budget, args.only, args.compiler,
            args.raw / f"tracr-programs-{args.label}.json", args.wait)
    else:
        text = table(args.labels, args.raw)
        (RESULTS / "tracr-programs.md").write_text(
            "# Distilling Tracr-compiled programs (benchmarks/tracr_programs.py)\n\n"
            + (args.intro.read_text() + "\n" if args.intro else "") + text)
        merged = {lab: json.loads((args.raw / f"tracr-programs-{lab}.json").read_text())
                  for lab in args.labels}
        (RESULTS / "tracr-programs.json").write_text(json.dumps(merged, indent=1) + "\n")
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
