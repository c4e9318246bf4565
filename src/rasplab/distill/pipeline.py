"""Distillation as a list of stages: `distill` reads the model as an oracle, then runs
first_queries → read_heads (attention as selector priors) → search_rounds (with counterexample
queries) → check_program (verification) → match_heads (selectors beside heads) → write_up."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from rasplab.distill.guidance import best_heads, head_priors, program_selectors, selector_patterns
from rasplab.distill.oracle import Oracle, Patterns, as_oracle
from rasplab.distill.queries import (
    dedupe,
    disagreements,
    every_input,
    input_sampler,
)
from rasplab.distill.report import write_report
from rasplab.distill.result import DistillResult
from rasplab.distill.verify import Verification, run_program, verify
from rasplab.errors import NoProgramError, RaspLabError
from rasplab.lang import Node
from rasplab.lang.printer import to_rasp_expr
from rasplab.synth import SynthResult, synthesize
from rasplab.synth.library import load_library
from rasplab.tasks import get_task
from rasplab.tasks.distributions import distinct_sample


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
    start = time.perf_counter()
    if library is not None:  # read once (a bad file fails before any query), not every round
        library = load_library(library)
    oracle = as_oracle(model, vocab=vocab, max_len=max_len, task=task)
    if causal is None:
        causal = bool(oracle.meta.get("causal", False))
    rng = np.random.default_rng(seed)
    sample = input_sampler(oracle)
    queries = first_queries(oracle, sample, n, rng)
    heads = read_heads(oracle, queries.inputs)
    found = search_rounds(oracle, sample, queries, heads.priors, rng, n=n, budget=budget,
                          deadline=start + budget, rounds=rounds, pool=pool, seed=seed,
                          library=library, causal=causal, say=progress or (lambda line: None))
    check = check_program(found, oracle, sample, seed=seed, held_out=held_out)
    out = DistillResult(
        program=found.program, source=found.result.source, sexpr=found.result.sexpr,
        agreement=check.agreement, verification=check,
        solved_queries=bool(found.result.solved), n_queries=len(found.queries.inputs),
        rounds=found.rounds, candidates=found.candidates, task=oracle.task,
        model_description=oracle.description,
        head_matches=match_heads(found, heads), head_priors=heads.table,
        seconds=0.0, interrupted=found.interrupted)
    out.seconds = time.perf_counter() - start
    if out_dir is not None:
        write_up(out, oracle, heads, out_dir)
    return out


# --- the stages -------------------------------------------------------------------------------
@dataclass
class Queries:
    """Inputs asked so far and the model's outputs for them, in order."""

    inputs: list[list[Any]]
    outputs: list[list[Any]]


@dataclass
class Heads:
    """White-box guidance: attention on a probe of the first queries, the selector priors it
    gives the search, and the best head per selector shape as a table for the report."""

    probe: list[list[Any]]
    patterns: Patterns | None
    priors: dict = field(default_factory=dict)
    table: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Found:
    """The search's outcome: the program kept, its search result, the queries it grew to."""

    result: SynthResult
    queries: Queries
    rounds: int
    candidates: int
    interrupted: bool

    @property
    def program(self) -> Node:
        return self.result.program


def first_queries(oracle: Oracle, sample: Callable, n: int, rng: np.random.Generator) -> Queries:
    """Every input up to the model's length when there are at most `n`, else `n` sampled
    distinct inputs; with the model's outputs."""
    xs = every_input(oracle, n) or distinct_sample(sample, n, rng)
    return Queries(xs, oracle(xs))


def read_heads(oracle: Oracle, inputs: list[list[Any]]) -> Heads:
    """Attention on the first 64 queries, turned into selector priors (none for a black box)."""
    probe = inputs[: min(len(inputs), 64)]
    heads = Heads(probe, oracle.attention(probe))
    if heads.patterns:
        heads.priors, best = head_priors(heads.patterns, probe)
        heads.table = [{"head": m.head, "selector": to_rasp_expr(m.selector),
                        "score": round(m.score, 4)} for m in best]
    return heads


def search_rounds(oracle: Oracle, sample: Callable, queries: Queries, priors: dict,
                  rng: np.random.Generator, *, n: int, budget: float, deadline: float,
                  rounds: int, pool: int, seed: int, library: Any, causal: bool,
                  say: Callable[[str], None]) -> Found:
    """Search, then ask the model about `pool` fresh inputs and add those the program gets
    wrong, until a program agrees on all of them, the rounds or the budget run out, or Ctrl-C.
    The program kept is the one that agrees best with the model on fresh inputs (on noisy
    models the search can overfit the queries). `deadline` (perf_counter) ends the rounds;
    `budget` is the whole run's, for the message. No program at all is a NoProgramError."""
    xs, ys = queries.inputs, queries.outputs
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
        candidates += found.candidates
        if found.interrupted:  # the user is waiting: no fresh check; a program fitting every
            interrupted = True  # query beats an earlier round's
            if found.program is not None and (result is None or found.solved):
                result = found
            break
        if found.program is None:
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
        if interrupted:
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
    return Found(result, Queries(xs, ys), used_rounds, candidates, interrupted)


def check_program(found: Found, oracle: Oracle, sample: Callable, *, seed: int,
                  held_out: int) -> Verification:
    """Verify the program kept against the model (and the task's ground truth when the model
    names a task); after Ctrl-C a quick check, since the user is waiting."""
    truth = None
    if oracle.task:
        try:
            t = get_task(oracle.task)
            truth = lambda x: t.outputs([x])[0]  # noqa: E731
        except RaspLabError:
            truth = None
    if found.interrupted:
        held_out = min(held_out, 50)
    return verify(found.program, oracle, sample, np.random.default_rng(seed + 10_000),
                  n=held_out, truth=truth, longer=0 if found.interrupted else 4)


def match_heads(found: Found, heads: Heads) -> list[dict[str, Any]]:
    """Which head implements each selector of the program (none after Ctrl-C: head pictures
    take seconds the user is not waiting for)."""
    if not heads.patterns or found.interrupted:
        return []
    sels = program_selectors(found.program)
    return [{"selector": to_rasp_expr(m.selector), "head": m.head,
             "score": round(m.score, 4), "node": m.selector}
            for m in best_heads(heads.patterns, selector_patterns(dict.fromkeys(sels),
                                                                  heads.probe))]


def write_up(out: DistillResult, oracle: Oracle, heads: Heads, out_dir: str | Path) -> None:
    """The report folder, with the attention of the longest probe input when there is time."""
    example = max(heads.probe, key=len)
    if heads.patterns and not out.interrupted:
        out.example_patterns = oracle.attention([example])
    out.report = str(write_report(out, out_dir, example))


def _search(examples: list[tuple[list, list]], budget: float, priors: dict, seed: int,
            library: Any = None, causal: bool = False) -> SynthResult:
    """One bottom-up search under the noisy objective, with head-derived selector priors (and
    a learned library's abstractions as single steps, when given)."""
    return synthesize(examples, method="bottomup" if library is None else "library",
                      budget=budget, library=library, selector_priors=priors or None, seed=seed,
                      progress=False, causal=causal)


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
