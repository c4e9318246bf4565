"""Distillation as a list of stages: oracle → queries → guided search (with counterexample
queries) → verification → selector/head correspondence → report."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from rasplab.distill.guidance import best_heads, head_priors, program_selectors, selector_patterns
from rasplab.distill.oracle import Patterns, as_oracle
from rasplab.distill.queries import dedupe, disagreements, every_input, input_sampler
from rasplab.distill.report import write_report
from rasplab.distill.verify import Verification, run_program, verify
from rasplab.errors import NoProgramError, RaspLabError
from rasplab.lang import Node


@dataclass
class DistillResult:
    """What `distill` found and the evidence for it."""

    program: Node
    source: str
    sexpr: str
    agreement: float
    verification: Verification
    solved_queries: bool
    seconds: float
    n_queries: int
    rounds: int
    candidates: int
    task: str | None
    model_description: str
    head_matches: list[dict[str, Any]] = field(default_factory=list)
    head_priors: list[dict[str, Any]] = field(default_factory=list)
    example_patterns: Patterns | None = None
    report: str | None = None
    #: Ctrl-C stopped the search: the program is the best found so far
    interrupted: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "program": self.source, "sexpr": self.sexpr, "agreement": self.agreement,
            "seconds": self.seconds, "task": self.task, "model": self.model_description,
            "queries": self.n_queries, "rounds": self.rounds, "candidates": self.candidates,
            "solved_queries": self.solved_queries,
            "verification": self.verification.to_json(),
            "heads": [{k: v for k, v in m.items() if k != "node"} for m in self.head_matches],
            "head_priors": self.head_priors, "report": self.report,
            "interrupted": self.interrupted,
        }


def _search(examples: list[tuple[list, list]], budget: float, priors: dict, seed: int,
            library: Any = None, causal: bool = False) -> Any:
    """One bottom-up search under the noisy objective, with head-derived selector priors (and
    a learned library's abstractions as single steps, when given)."""
    from rasplab.synth import synthesize

    extra = {"method": "library", "library": library} if library is not None else {
        "method": "bottomup"}
    if causal:
        extra["causal"] = True
    return synthesize(examples, budget=budget, selector_priors=priors or None, seed=seed,
                      progress=False, **extra)


def _selector_text(sel: Any) -> str:
    from rasplab.lang.printer import to_rasp_expr

    return to_rasp_expr(sel)


def distill(model: Any, *, task: str | None = None, vocab: Sequence[Any] | None = None,
            max_len: int | None = None, n: int = 200, budget: float = 60.0, rounds: int = 4,
            held_out: int = 1000, seed: int = 0, out_dir: str | Path | None = None,
            pool: int = 1000, library: Any = None, causal: bool | None = None,
            progress: Callable[[str], None] | None = None, min_len: int | None = None,
            tokens: Sequence[Any] | None = None, prompts: Sequence[Sequence[Any]] | None = None,
            bos: Any = None, predict: str | None = None, classes: Sequence[Any] | None = None,
            from_token: Any = None, test: Sequence[Sequence[Any]] | None = None,
            reference: Callable[[list[Any]], list[Any]] | None = None) -> Any:
    """Distil `model` (model file, model object, Oracle or plain function) into a RASP program.

    A model trained elsewhere — a TransformerLens `HookedTransformer`, a `transformers` causal
    LM, or a path to either's files — is read through its `tokens` (in id order; `bos` at any
    id, prepended and unseen by the program) and queried through `prompts` (whole sequences);
    `predict`, `classes`, `from_token`, `test` and `reference` are as on the command line, and
    the result is a `SequenceDistillResult` (see `distill_sequences`).

    `n` inputs are queried first; each round searches (budget split over rounds), then asks the
    model about `pool` fresh inputs and adds those where the program disagrees. The result is
    verified on every input up to the model's length when there are at most 100,000, else on
    `held_out` fresh inputs per length (see `verify`), and, with `out_dir`, written up as a
    report. `library` (a `rasplab library` file or Library) adds learned abstractions to the
    search. `causal` searches causal programs (default: whether the model's attention is
    causally masked). `progress` receives a line per round (queries, agreement so far). Ctrl-C
    during the search stops it and keeps the best program so far (`interrupted` is set).
    """
    if tokens is not None or prompts is not None or _trained_elsewhere(model):
        return _distill_sequence_model(
            model, tokens=tokens, prompts=prompts, bos=bos, predict=predict, classes=classes,
            from_token=from_token, test=test, reference=reference, budget=budget, n=n,
            seed=seed, out_dir=out_dir, progress=progress, max_len=max_len, min_len=min_len)
    say = progress or (lambda line: None)
    start = time.perf_counter()
    if library is not None:  # read once (a bad file fails before any query), not every round
        from rasplab.synth.library import load_library

        library = load_library(library)
    oracle = as_oracle(model, vocab=vocab, max_len=max_len, task=task)
    if causal is None:
        causal = bool(oracle.meta.get("causal", False))
    rng = np.random.default_rng(seed)
    sample = input_sampler(oracle)

    # queries
    xs = every_input(oracle, n) or dedupe(sample(n, rng))
    ys = oracle(xs)

    # white-box guidance from attention heads
    probe = xs[: min(len(xs), 64)]
    patterns = oracle.attention(probe)
    priors: dict = {}
    prior_table: list[dict[str, Any]] = []
    if patterns:
        priors, best = head_priors(patterns, probe)
        prior_table = [{"head": m.head, "selector": _selector_text(m.selector),
                        "score": round(m.score, 4)} for m in best]

    # search, with counterexample queries between rounds; the program kept is the one that
    # agrees best with the model on fresh inputs (on noisy models the search can overfit)
    deadline = start + budget
    result = None
    best_score = -1.0
    candidates = 0
    used_rounds = 0
    interrupted = False
    for r in range(rounds):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.5 and result is not None:
            break
        used_rounds = r + 1
        round_budget = max(remaining / max(rounds - r, 1) * (2 if r == 0 else 1), 1.0)
        this_budget = min(round_budget, max(remaining, 1.0))
        say(f"round {r + 1}: searching over {len(xs)} queries ({this_budget:.0f} s)"
            + (f", best agreement so far {100 * best_score:.1f}%" if best_score >= 0 else ""))
        try:
            found = _search(list(zip(xs, ys)), this_budget, priors, seed + r, library, causal)
        except KeyboardInterrupt:
            interrupted = True
            break
        candidates += getattr(found, "candidates", 0)
        if found.program is None:
            interrupted = bool(getattr(found, "interrupted", False))
            if interrupted:
                break
            continue
        try:
            fresh = dedupe(sample(pool, rng))
            bad = disagreements(run_program(found.program, fresh), oracle(fresh))
        except KeyboardInterrupt:
            interrupted = True
            bad = None
        score = 1.0 - len(bad) / max(len(fresh), 1) if bad is not None else 0.0
        if score > best_score or result is None:
            result, best_score = found, score
        if interrupted or getattr(found, "interrupted", False):
            interrupted = True
            break
        say(f"round {r + 1}: {100 * score:.1f}% agreement on {len(fresh)} fresh inputs "
            f"({candidates:,} candidates so far)")
        if not bad:
            break
        known = {tuple(x) for x in xs}
        if found.solved:  # real counterexamples: the program fits every query but not these
            new = [fresh[i] for i in bad]
        else:  # the model contradicts every program found (noisy): more data, not its mistakes
            new = fresh
        new = [x for x in new if tuple(x) not in known][: max(20, n // 2)]
        xs = xs + new
        ys = ys + oracle(new)
    if result is None or result.program is None:
        if interrupted:
            raise KeyboardInterrupt
        raise NoProgramError(f"no program reproduced even one of the {len(xs)} queried inputs "
                             f"within {budget:g} s; a longer search or a learned library may "
                             "reach it")

    program = result.program
    truth = None
    if oracle.task:
        try:
            from rasplab.tasks import get_task

            t = get_task(oracle.task)
            truth = lambda x: t.outputs([x])[0]  # noqa: E731
        except RaspLabError:
            truth = None
    if interrupted:  # the user is waiting: a quick check of the program kept
        held_out = min(held_out, 100)
    check = verify(program, oracle, sample, np.random.default_rng(seed + 10_000), n=held_out,
                   truth=truth, longer=0 if interrupted else 4)

    # which head implements each selector of the program
    matches: list[dict[str, Any]] = []
    if patterns and not interrupted:  # head pictures take seconds the user is not waiting
        sels = program_selectors(program)
        for m in best_heads(patterns, selector_patterns(dict.fromkeys(sels), probe)):
            matches.append({"selector": _selector_text(m.selector), "head": m.head,
                            "score": round(m.score, 4), "node": m.selector})
    out = DistillResult(
        program=program, source=result.source, sexpr=result.sexpr, agreement=check.agreement,
        verification=check, solved_queries=bool(result.solved), n_queries=len(xs),
        rounds=used_rounds, candidates=candidates, task=oracle.task,
        model_description=oracle.description, head_matches=matches, head_priors=prior_table,
        seconds=0.0, interrupted=interrupted)
    out.seconds = time.perf_counter() - start
    if out_dir is not None:
        example = max(probe, key=len)
        if patterns and not interrupted:
            out.example_patterns = oracle.attention([example])
        out.report = str(write_report(out, out_dir, example))
    return out


def _trained_elsewhere(model: Any) -> bool:
    """A TransformerLens or `transformers` model object (not one of rasplab's own)."""
    return hasattr(model, "run_with_cache") or (hasattr(model, "config") and
                                                hasattr(model, "get_input_embeddings"))


def _distill_sequence_model(model: Any, *, tokens: Sequence[Any] | None,
                            prompts: Sequence[Sequence[Any]] | None, bos: Any,
                            predict: str | None, classes: Sequence[Any] | None,
                            from_token: Any, test: Sequence[Sequence[Any]] | None,
                            reference: Callable | None, budget: float, n: int, seed: int,
                            out_dir: str | Path | None, progress: Callable | None,
                            max_len: int | None, min_len: int | None) -> Any:
    """A HookedTransformer, a `transformers` model or a path to one, through its tokens."""
    from rasplab.distill.sequence_oracle import SequenceOracle
    from rasplab.distill.sequences import distill_sequences
    from rasplab.distill.user_models import from_hf, from_hooked, load_user_model

    if tokens is None:
        raise RaspLabError("a model trained elsewhere needs tokens= (its tokens in id order)")
    if isinstance(model, str | Path):
        seq_model = load_user_model(model)
    elif hasattr(model, "run_with_cache"):
        seq_model = from_hooked(model)
    elif _trained_elsewhere(model):
        seq_model = from_hf(model)
    else:
        raise RaspLabError(f"tokens=/prompts= need a TransformerLens or transformers model, not "
                           f"a {type(model).__name__}")
    if predict is None:
        predict = "classes" if classes is not None or seq_model.n_out != len(tokens) else "next"
    oracle = SequenceOracle(seq_model, list(tokens), predict=predict, bos=bos,
                            classes=list(classes) if classes is not None else None,
                            from_token=from_token, description=seq_model.description)
    if max_len is not None:
        oracle.check_length(max_len, "max_len")
    if prompts is None:  # uniform sequences over the model's own tokens
        rng = np.random.default_rng(seed)
        pool = [t for t in tokens if t != bos]
        lo = max(min_len or 1, 1)
        hi = max(max_len or min(10, oracle.max_supported_len or 10), lo)
        prompts = [[pool[i] for i in rng.integers(0, len(pool), size=k)]
                   for k in rng.integers(lo, hi + 1, size=n)]
    return distill_sequences(oracle, [list(p) for p in prompts],
                             test=[list(t) for t in test] if test is not None else None,
                             budget=budget, n=n, seed=seed, out_dir=out_dir, progress=progress,
                             reference=reference)
