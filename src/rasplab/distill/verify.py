"""Verification: agreement of a program with the model, per length and overall, against the
task's ground truth, and beyond the lengths the model was trained on.

Every input up to the model's length is checked when there are at most `EXHAUSTIVE_LIMIT` of
them; otherwise each length gets the same number of fresh inputs (all of a length that has
fewer), and the overall figure weighs lengths as the inputs' distribution does: the task's (or
given) length proportions, or for uniform inputs each length's number of distinct inputs, capped
at the number checked there (a few short inputs cannot stand for the many long ones)."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from rasplab.errors import RaspLabError
from rasplab.lang import Node, evaluate
from rasplab.lang.values import outputs_equal
from rasplab.lang.values import same_value as _ruler

#: all inputs up to the model's length are checked when there are at most this many
EXHAUSTIVE_LIMIT = 100_000
#: inputs drawn to estimate a task's length proportions
_LENGTH_PROBE = 4000


#: distillation's setting of the one ruler (`rasplab.lang.values`): a model's numbers pass
#: through float32, so numbers (booleans included) agree within 1e-6; anything else must be equal
#: and of the same type; a None output (the program failed on the input) equals nothing
same_value = partial(_ruler, tol=1e-6, bools_are_numbers=True)
same_output = partial(outputs_equal, tol=1e-6, bools_are_numbers=True)


def run_program(program: Node, inputs: list[list[Any]]) -> list[list[Any] | None]:
    """Program outputs; an input on which the program fails gives None (counts as wrong)."""
    try:
        return evaluate(program, inputs)
    except RaspLabError:
        out: list[list[Any] | None] = []
        for x in inputs:
            try:
                out.append(evaluate(program, [x])[0])
            except RaspLabError:
                out.append(None)
        return out


@dataclass
class Verification:
    """Agreement figures; fractions are of whole sequences matched exactly.

    `method` is "exhaustive" (every input up to the model's length) or "stratified" (the same
    number of inputs per length); `weights` says how lengths are weighed in the overall figures:
    "inputs" (each input once), "task" or "given" (those length proportions), "distinct" (each
    length's number of distinct inputs, capped at the number checked there)."""

    n: int
    agreement: float
    agreement_by_length: dict[int, float]
    token_agreement: float
    method: str = "stratified"
    weights: str = "inputs"
    #: inputs checked per length, and each length's share of the overall figures
    n_by_length: dict[int, int] = field(default_factory=dict)
    weight_by_length: dict[int, float] = field(default_factory=dict)
    #: against the task's reference, when known
    program_correct: float | None = None
    model_correct: float | None = None
    #: inputs where program and model differ and the program matches the ground truth
    model_wrong_program_right: int | None = None
    program_wrong_model_right: int | None = None
    #: beyond the trained lengths: length -> fraction correct vs ground truth
    longer_program_correct: dict[int, float] = field(default_factory=dict)
    longer_model_correct: dict[int, float] = field(default_factory=dict)
    longer_agreement: dict[int, float] = field(default_factory=dict)
    examples_of_disagreement: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _truths(truth: Callable[[list], list], xs: list[list[Any]]) -> list[list | None]:
    """The task's answer per input; None where its reference rejects the input."""
    out: list[list | None] = []
    for x in xs:
        try:
            out.append(truth(list(x)))
        except RaspLabError:
            out.append(None)
    return out


# --- which inputs ------------------------------------------------------------------------------
def inputs_per_length(vocab_size: int, lo: int, hi: int) -> dict[int, int]:
    """How many distinct inputs each length in [lo, hi] has (vocab_size ** length)."""
    return {k: vocab_size ** k for k in range(lo, hi + 1)}


def _decode(codes: np.ndarray, vocab: Sequence[Any], k: int) -> list[list[Any]]:
    """Inputs of length `k` from their numbers in base len(vocab) (most significant first)."""
    v = len(vocab)
    digits = (codes[:, None] // (v ** np.arange(k - 1, -1, -1, dtype=np.int64))[None, :]) % v
    table = np.empty(v, dtype=object)
    table[:] = list(vocab)
    return table[digits].tolist()


def all_of_length(vocab: Sequence[Any], k: int) -> list[list[Any]]:
    """Every input of length `k` over `vocab`, in lexicographic order of the vocabulary."""
    return _decode(np.arange(len(vocab) ** k, dtype=np.int64), vocab, k)


def distinct_of_length(vocab: Sequence[Any], k: int, m: int,
                       rng: np.random.Generator) -> list[list[Any]]:
    """`m` different inputs of length `k` drawn uniformly (all of them when there are <= m)."""
    total = len(vocab) ** k
    if total <= m:
        return all_of_length(vocab, k)
    if total <= 64 * m:  # dense: draw numbers without replacement
        return _decode(rng.choice(total, size=m, replace=False).astype(np.int64), vocab, k)
    seen: set[tuple] = set()
    out: list[list[Any]] = []
    table = np.empty(len(vocab), dtype=object)
    table[:] = list(vocab)
    while len(out) < m:  # sparse: repeats are rare, drop them
        for row in table[rng.integers(0, len(vocab), size=(m - len(out), k))].tolist():
            if tuple(row) not in seen:
                seen.add(tuple(row))
                out.append(row)
    return out


def _task_known(oracle: Any) -> bool:
    if not getattr(oracle, "task", None):
        return False
    try:
        from rasplab.tasks import get_task

        get_task(oracle.task)
    except RaspLabError:
        return False
    return True


def _length_shares(sampler: Callable[..., list[list[Any]]], rng: np.random.Generator,
                   lengths: list[int]) -> dict[int, float]:
    """The sampler's length proportions over `lengths`, estimated from a large draw."""
    counts = Counter(len(x) for x in sampler(_LENGTH_PROBE, rng))
    shares = {k: float(counts.get(k, 0)) for k in lengths}
    total = sum(shares.values())
    if total == 0:
        return {k: 1.0 / len(lengths) for k in lengths}
    return {k: s / total for k, s in shares.items()}


def plan(oracle: Any, sampler: Callable[..., list[list[Any]]], rng: np.random.Generator,
         per_length: int, exhaustive_limit: int = EXHAUSTIVE_LIMIT,
         length_weights: Mapping[int, float] | None = None
         ) -> tuple[str, str, dict[int, list[list[Any]]], dict[int, float]]:
    """Which inputs to check, per length, and how to weigh each length: (method, weights,
    inputs by length, weight by length)."""
    vocab = list(oracle.vocab or ())
    lo, hi = oracle.min_len or 1, oracle.max_len or oracle.min_len or 1
    lengths = list(range(lo, hi + 1))
    space = inputs_per_length(len(vocab), lo, hi) if vocab else {}
    by_len: dict[int, list[list[Any]]]
    if vocab and sum(space.values()) <= exhaustive_limit:
        by_len = {k: all_of_length(vocab, k) for k in lengths}
        method, how = "exhaustive", "inputs"
        weights = {k: float(space[k]) for k in lengths}
    else:
        method = "stratified"
        if vocab and not _task_known(oracle):
            by_len = {k: distinct_of_length(vocab, k, per_length, rng) for k in lengths}
            how = "distinct"
            weights = {k: float(min(space[k], per_length)) for k in lengths}
        else:  # the task's distribution within each length, and its length proportions
            by_len = {}
            for k in lengths:
                xs = [x for x in sampler(per_length, rng, k, k) if len(x) == k]
                if xs:
                    by_len[k] = xs
            how = "task"
            weights = _length_shares(sampler, rng, lengths)
    if length_weights is not None:
        how = "given"
        weights = {k: float(length_weights.get(k, 0.0)) for k in lengths}
    weights = {k: w for k, w in weights.items() if k in by_len}
    total = sum(weights.values())
    if total <= 0:  # nothing to weigh by: every checked length alike
        weights = {k: 1.0 for k in by_len}
        total = float(len(by_len))
    return method, how, by_len, {k: w / total for k, w in weights.items()}


def _weighted(per_length: Mapping[int, float], weights: Mapping[int, float]) -> float | None:
    """The weighted mean of per-length figures, over the lengths that have one."""
    have = {k: w for k, w in weights.items() if k in per_length}
    total = sum(have.values())
    if not have or total <= 0:
        return None
    return float(sum(per_length[k] * w for k, w in have.items()) / total)


def verify(program: Node, oracle: Any, sampler: Callable[..., list[list[Any]]],
           rng: np.random.Generator, n: int = 1000, truth: Callable[[list], list] | None = None,
           longer: int = 4, exhaustive_limit: int = EXHAUSTIVE_LIMIT,
           length_weights: Mapping[int, float] | None = None) -> Verification:
    """Check `program` against `oracle`: on every input up to its length when there are at most
    `exhaustive_limit`, else on `n` inputs per length (and `longer` lengths past max_len).
    `length_weights` (length -> share, e.g. the prompts' lengths) overrides how the overall
    figures weigh lengths."""
    method, how, by_len, weights = plan(oracle, sampler, rng, n, exhaustive_limit,
                                        length_weights)
    xs = [x for k in sorted(by_len) for x in by_len[k]]
    model_out = oracle(xs)
    prog_out = run_program(program, xs)
    agree = [p is not None and same_output(p, m) for p, m in zip(prog_out, model_out)]
    tokens_ok = [sum(same_value(a, b) for a, b in zip(p, m)) if p is not None else 0
                 for p, m in zip(prog_out, model_out)]
    seq: dict[int, list[bool]] = {}
    tok: dict[int, list[float]] = {}
    for x, ok, t in zip(xs, agree, tokens_ok):
        seq.setdefault(len(x), []).append(ok)
        tok.setdefault(len(x), []).append(t / len(x))
    by_length = {k: float(np.mean(v)) for k, v in sorted(seq.items())}
    result = Verification(
        n=len(xs), agreement=_weighted(by_length, weights) or 0.0,
        agreement_by_length=by_length,
        token_agreement=_weighted({k: float(np.mean(v)) for k, v in tok.items()}, weights)
        or 0.0, method=method, weights=how,
        n_by_length={k: len(v) for k, v in sorted(seq.items())},
        weight_by_length=dict(sorted(weights.items())))
    for x, p, m, ok in zip(xs, prog_out, model_out, agree):
        if not ok and len(result.examples_of_disagreement) < 5:
            result.examples_of_disagreement.append({"input": x, "model": m, "program": p})
    if truth is not None:
        _against_truth(result, truth, xs, prog_out, model_out, weights)
        if longer and oracle.max_len:
            _longer(result, program, oracle, sampler, rng, truth, n, longer)
    return result


def _against_truth(result: Verification, truth: Callable[[list], list], xs: list[list[Any]],
                   prog_out: list, model_out: list, weights: Mapping[int, float]) -> None:
    """Program and model against the task's reference, weighed like the agreement."""
    # probes off the task's domain (hist_bos without BOS first) have no ground truth
    true_out = _truths(truth, xs)
    prog_ok: dict[int, list[bool]] = {}
    model_ok: dict[int, list[bool]] = {}
    mw_pr = pw_mr = 0
    for x, p, m, t in zip(xs, prog_out, model_out, true_out):
        if t is None:
            continue
        pk = p is not None and same_output(p, t)
        mk = same_output(m, t)
        prog_ok.setdefault(len(x), []).append(pk)
        model_ok.setdefault(len(x), []).append(mk)
        mw_pr += pk and not mk
        pw_mr += mk and not pk
    result.program_correct = _weighted({k: float(np.mean(v)) for k, v in prog_ok.items()},
                                       weights)
    result.model_correct = _weighted({k: float(np.mean(v)) for k, v in model_ok.items()},
                                     weights)
    result.model_wrong_program_right = mw_pr
    result.program_wrong_model_right = pw_mr


def _longer(result: Verification, program: Node, oracle: Any,
            sampler: Callable[..., list[list[Any]]], rng: np.random.Generator,
            truth: Callable[[list], list], n: int, longer: int) -> None:
    """Program (and model, where it runs) against the truth on lengths past max_len."""
    for k in range(oracle.max_len + 1, oracle.max_len + 1 + longer):
        ys = sampler(max(50, n // 10), rng, k, k)
        ys = [y for y in ys if len(y) == k]
        if not ys:
            continue
        t_out = _truths(truth, ys)
        ys = [y for y, t in zip(ys, t_out) if t is not None]
        t_out = [t for t in t_out if t is not None]
        if not ys:
            continue
        p_out = run_program(program, ys)
        result.longer_program_correct[k] = float(np.mean(
            [p is not None and same_output(p, t) for p, t in zip(p_out, t_out)]))
        if oracle.can_run(k):
            try:
                m_out = oracle(ys)
            except Exception:  # the model cannot run this length after all
                continue
            result.longer_model_correct[k] = float(np.mean(
                [same_output(m, t) for m, t in zip(m_out, t_out)]))
            result.longer_agreement[k] = float(np.mean(
                [p is not None and same_output(p, m) for p, m in zip(p_out, m_out)]))
