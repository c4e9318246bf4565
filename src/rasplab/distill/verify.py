"""Verification: agreement of a program with the model on fresh inputs, per length, with the
task's ground truth, and beyond the lengths the model was trained on."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from rasplab.errors import RaspLabError
from rasplab.lang import Node, evaluate


def same_value(a: Any, b: Any) -> bool:
    """Equal outputs: numbers (booleans included) within 1e-6, anything else equal and same type."""
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return type(a) is type(b) and a == b


def same_output(a: list[Any] | None, b: list[Any] | None) -> bool:
    """Equal output sequences; None (a program that failed on the input) equals nothing."""
    if a is None or b is None:
        return False
    return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))


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
    """Agreement figures; fractions are of whole sequences matched exactly."""

    n: int
    agreement: float
    agreement_by_length: dict[int, float]
    token_agreement: float
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


def verify(program: Node, oracle: Any, sampler: Callable[..., list[list[Any]]],
           rng: np.random.Generator, n: int = 1000, truth: Callable[[list], list] | None = None,
           longer: int = 4) -> Verification:
    """Check `program` against `oracle` on `n` fresh inputs (and `longer` lengths past max_len)."""
    xs = sampler(n, rng)
    model_out = oracle(xs)
    prog_out = run_program(program, xs)
    agree = [p is not None and same_output(p, m) for p, m in zip(prog_out, model_out)]
    tokens_total = sum(len(x) for x in xs)
    tokens_agree = sum(sum(same_value(a, b) for a, b in zip(p, m))
                       for p, m in zip(prog_out, model_out) if p is not None)
    by_len: dict[int, list[bool]] = {}
    for x, ok in zip(xs, agree):
        by_len.setdefault(len(x), []).append(ok)
    result = Verification(
        n=len(xs), agreement=float(np.mean(agree)) if agree else 0.0,
        agreement_by_length={k: float(np.mean(v)) for k, v in sorted(by_len.items())},
        token_agreement=tokens_agree / max(tokens_total, 1))
    for x, p, m, ok in zip(xs, prog_out, model_out, agree):
        if not ok and len(result.examples_of_disagreement) < 5:
            result.examples_of_disagreement.append({"input": x, "model": m, "program": p})
    if truth is not None:
        # probes off the task's domain (hist_bos without BOS first) have no ground truth
        true_out = _truths(truth, xs)
        prog_ok = [p is not None and same_output(p, t)
                   for p, t in zip(prog_out, true_out) if t is not None]
        model_ok = [same_output(m, t) for m, t in zip(model_out, true_out) if t is not None]
        result.program_correct = float(np.mean(prog_ok)) if prog_ok else None
        result.model_correct = float(np.mean(model_ok)) if model_ok else None
        result.model_wrong_program_right = sum(p and not m for p, m in zip(prog_ok, model_ok))
        result.program_wrong_model_right = sum(m and not p for p, m in zip(prog_ok, model_ok))
        if longer and oracle.max_len:
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
    return result
