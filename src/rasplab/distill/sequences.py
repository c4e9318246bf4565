"""Distilling a user's transformer from its prompts: queries that keep the prompts' format,
a search chosen by what is predicted, and agreement per position, per sequence and per length.

Stages: prompts → in-format variations (resampled inputs, other lengths; the model's own
continuation after the `--from` token) → the model's outputs → search (separator programs for
`next --from`, one boolean program per token for `next-set`, the bottom-up engine otherwise,
causal when the model is) → agreement on the test sequences and on longer ones → report.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np

from rasplab.distill.sequence_oracle import SequenceOracle, token_key
from rasplab.distill.set_program import join_sets
from rasplab.distill.whitebox import PROBE, WhiteBox, read_white_box
from rasplab.errors import ExamplesError, RaspLabError
from rasplab.lang import Node, evaluate
from rasplab.lang.ast import Full, uncausal
from rasplab.lang.printer import to_rasp
from rasplab.lang.values import ANY, same_value

#: share of the prompts held out for the reported agreement when no --test file is given
HOLD_OUT = 0.2
#: how much a variation counts in the search against a prompt (variations probe the model off
#: its training distribution, where its answers say less about the algorithm)
VARIATION_WEIGHT = 0.3


@dataclass
class Agreement:
    """Program against model on some sequences: per compared position and per whole sequence."""

    n: int
    positions: float
    sequences: float
    by_length: dict[int, float]
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "position_agreement": self.positions,
                "sequence_agreement": self.sequences,
                "agreement_by_length": {str(k): v for k, v in self.by_length.items()},
                "examples_of_disagreement": self.disagreements}


@dataclass
class SequenceDistillResult:
    """What distilling a sequence model found, and how well it agrees."""

    program: Node
    source: str
    agreement: float
    sequence_agreement: float
    test: Agreement
    longer: Agreement | None
    queries: int
    seconds: float
    search: str
    model_description: str
    solved_queries: bool
    report: str | None = None
    parts: dict[str, str] = field(default_factory=dict)
    #: the search's effort: candidates in all, up to the program returned, and up to the
    #: solution (the same count, None unless the program fits every query)
    candidates: int = 0
    candidates_to_program: int | None = None
    candidates_to_solution: int | None = None
    #: white box: whether attention guided the search, what each head looked like, and the head
    #: behind each selector of the program
    white_box: bool = False
    head_priors: list[dict[str, Any]] = field(default_factory=list)
    head_matches: list[dict[str, Any]] = field(default_factory=list)
    #: against a ground truth (--reference), on the test sequences
    truth: dict[str, Any] | None = None
    #: seconds per stage (queries, search, verification)
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"program": self.source, "agreement": self.agreement,
                "sequence_agreement": self.sequence_agreement,
                "agreement_by_length": {str(k): v for k, v in self.test.by_length.items()},
                "longer": self.longer.to_json() if self.longer else None,
                "test": self.test.to_json(), "queries": self.queries,
                "seconds": self.seconds, "search": self.search, "model": self.model_description,
                "solved_queries": self.solved_queries, "parts": self.parts,
                "candidates": self.candidates,
                "candidates_to_program": self.candidates_to_program,
                "candidates_to_solution": self.candidates_to_solution,
                "white_box": self.white_box, "heads": self.head_matches,
                "head_priors": self.head_priors,
                "ground_truth": self.truth, "timings": self.timings, "report": self.report}


#: a model's next token (or set of tokens) is the program's, by the one ruler
#: (`rasplab.lang.values`): ANY equals anything, numbers within 1e-6, other values by `==`
_same = partial(same_value, tol=1e-6, strict_type=False)


def run_program(program: Node, xs: list[list[Any]]) -> list[list[Any] | None]:
    """Program outputs; None where it fails on an input."""
    try:
        return evaluate(program, xs, strict=False)
    except Exception:
        out: list[list[Any] | None] = []
        for x in xs:
            try:
                out.append(evaluate(program, [x], strict=False)[0])
            except Exception:
                out.append(None)
        return out


def agreement(program: Node, xs: list[list[Any]], want: list[list[Any]],
              causal: bool = True) -> Agreement:
    """Agreement over the compared positions (those not ANY) of each sequence. A causal program
    runs on each sequence up to its last compared position (what follows cannot change it)."""
    if causal:
        cut = [max([i for i, v in enumerate(w) if v is not ANY], default=len(x) - 1) + 1
               for x, w in zip(xs, want)]
        got = run_program(program, [x[:c] for x, c in zip(xs, cut)])
        got = [None if g is None else list(g) + [ANY] * (len(x) - len(g))
               for g, x in zip(got, xs)]
    else:
        got = run_program(program, xs)
    pos_ok = pos_n = 0
    seq_ok: list[bool] = []
    by_len: dict[int, list[bool]] = {}
    bad: list[dict[str, Any]] = []
    for x, g, w in zip(xs, got, want):
        idx = [i for i, v in enumerate(w) if v is not ANY]
        if not idx:
            continue
        hits = [g is not None and _same(g[i], w[i]) for i in idx]
        pos_ok += sum(hits)
        pos_n += len(hits)
        ok = all(hits)
        seq_ok.append(ok)
        by_len.setdefault(len(x), []).append(ok)
        if not ok and len(bad) < 5:
            bad.append({"input": x, "model": [None if v is ANY else v for v in w],
                        "program": None if g is None else [None if v is ANY else v
                                                           for v in g]})
    return Agreement(n=len(seq_ok), positions=pos_ok / max(pos_n, 1),
                     sequences=float(np.mean(seq_ok)) if seq_ok else 0.0,
                     by_length={k: float(np.mean(v)) for k, v in sorted(by_len.items())},
                     disagreements=bad)


# --- queries -----------------------------------------------------------------------------------
class Format:
    """What the prompts share: a leading special, the separator, the end token, input tokens."""

    def __init__(self, oracle: SequenceOracle, prompts: list[list[Any]]):
        self.oracle = oracle
        firsts = Counter(p[0] for p in prompts)
        lasts = Counter(p[-1] for p in prompts)
        self.lead = firsts.most_common(1)[0][0] if firsts.most_common(1)[0][1] == len(
            prompts) and len(firsts) == 1 else None
        self.end = lasts.most_common(1)[0][0] if len(lasts) == 1 else None
        self.sep = oracle.from_token if oracle.predict == "next" else None
        inputs = [self.input_part(p) for p in prompts]
        seen = Counter(t for x in inputs for t in x)
        self.input_tokens = sorted(seen, key=lambda t: oracle.ids[token_key(t)])
        self.distinct = all(len(set(map(token_key, x))) == len(x) for x in inputs)
        lengths = [len(x) for x in inputs]
        self.min_len, self.max_len = max(min(lengths), 1), max(lengths)

    def input_part(self, p: list[Any]) -> list[Any]:
        start = 1 if self.lead is not None else 0
        if self.sep is not None and self.sep in p:
            return p[start: p.index(self.sep)]
        stop = len(p) - 1 if self.end is not None and p[-1] == self.end else len(p)
        return p[start:stop]

    def specials(self) -> list[Any]:
        found = [t for t in (self.lead, self.sep, self.end, self.oracle.bos) if t is not None]
        found += [t for t in self.oracle.tokens
                  if isinstance(t, str) and t.startswith("<") and t.endswith(">")]
        return list(dict.fromkeys(found))

    def sample_inputs(self, n: int, rng: np.random.Generator, lo: int, hi: int) -> list[list]:
        pool = self.input_tokens
        out = []
        for k in rng.integers(lo, hi + 1, size=n).tolist():
            if self.distinct:
                k = min(k, len(pool))
                idx = rng.choice(len(pool), size=k, replace=False)
            else:
                idx = rng.integers(0, len(pool), size=k)
            out.append([pool[i] for i in idx])
        return out

    def variations(self, n: int, rng: np.random.Generator, lo: int, hi: int) -> list[list[Any]]:
        """`n` sequences in the prompts' format whose inputs have lengths in [lo, hi]."""
        o = self.oracle
        lead = [self.lead] if self.lead is not None else []
        if o.predict == "next-set":
            limit = hi + len(lead)
            seqs = o.continue_sampled([list(lead) for _ in range(n)], self.end, limit, rng)
            return [s for s in seqs if len(s) > len(lead)]
        xs = self.sample_inputs(n, rng, lo, hi)
        if self.sep is not None:
            prefixes = [lead + x + [self.sep] for x in xs]
            stop = self.end if self.end is not None else object()
            return o.continue_greedy(prefixes, stop, limit=3 * hi + 8 + len(lead))
        tail = [self.end] if self.end is not None and o.predict != "classes" else []
        return [lead + x + tail for x in xs]


# --- search ------------------------------------------------------------------------------------
def _truncate(xs: list[list[Any]], ys: list[list[Any]]) -> tuple[list, list]:
    """Causal examples cut after their last compared position (later ones change nothing)."""
    out_x, out_y = [], []
    for x, y in zip(xs, ys):
        idx = [i for i, v in enumerate(y) if v is not ANY]
        if not idx:
            continue
        cut = idx[-1] + 1
        out_x.append(list(x[:cut]))
        out_y.append(list(y[:cut]))
    return out_x, out_y


def _dedupe(xs: list[list[Any]], ys: list[list[Any]]) -> tuple[list, list]:
    seen: set = set()
    ox, oy = [], []
    for x, y in zip(xs, ys):
        key = tuple(map(token_key, x))
        if key not in seen:
            seen.add(key)
            ox.append(x)
            oy.append(y)
    return ox, oy


def _engine(xs: list, ys: list, budget: float, causal: bool, priors: dict | None,
            seed: int, library: Any = None) -> Any:
    from rasplab.synth.bottomup.search import search
    from rasplab.synth.brackets import bracket_leaves

    if any(v is ANY for y in ys for v in y):
        raise RaspLabError("the bottom-up engine needs every position compared")
    vocab = sorted({t for x in xs for t in x}, key=str)
    leaves = bracket_leaves(vocab) if causal else []
    return search(xs, ys, budget=budget, selector_priors=priors or None, seed=seed,
                  progress=False, causal=causal, leaves=leaves)


def _search_sets(xs: list, ys: list, budget: float, causal_mode: bool, priors: dict | None,
                 seed: int, progress: Callable[[str], None], token_order: list[Any]
                 ) -> tuple[Node | None, dict, bool, tuple[int, int | None]]:
    """One boolean program per token the model ever allows, joined into one set program; with
    the candidates searched in all and up to the programs returned (summed over the tokens)."""
    xs, ys = _truncate(xs, ys)
    xs, ys = _dedupe(xs, ys)
    seen = {token_key(t): t for y in ys for s in y for t in s}
    tokens = [t for t in token_order if token_key(t) in seen]
    parts: list[tuple[Any, Node]] = []
    names: dict[str, str] = {}
    solved = True
    searched, to_best = 0, 0
    start = time.monotonic()
    for j, t in enumerate(tokens):
        left = budget - (time.monotonic() - start)
        share = max(left / max(len(tokens) - j, 1), 1.0)
        yb = [[t in s for s in y] for y in ys]
        if all(all(v for v in y) for y in yb) or not any(any(y) for y in yb):
            parts.append((t, Full(bool(yb[0][0]))))
            names[str(t)] = "constant"
            continue
        progress(f"allows {t!r}: searching ({share:.0f} s)")
        found = _engine(xs, yb, share, causal_mode, priors, seed + j)
        searched += found.candidates
        reached = (found.stats or {}).get("candidates_to_best")
        to_best = None if to_best is None or reached is None else to_best + reached
        if found.program is None:
            found_program = Full(False)
            solved = False
        else:
            found_program = uncausal(found.program)
            solved &= bool(found.solved)
        parts.append((t, found_program))
        names[str(t)] = f"{100 * found.accuracy:.1f}% of queries"
    observed = list({tuple(s) for y in ys for s in y})
    return join_sets(parts, causal_mode, observed), names, solved, (searched, to_best)


# --- the pipeline ------------------------------------------------------------------------------
def distill_sequences(oracle: SequenceOracle, prompts: list[list[Any]], *,
                      test: list[list[Any]] | None = None, budget: float = 60.0,
                      n: int = 300, seed: int = 0, out_dir: str | Path | None = None,
                      progress: Callable[[str], None] | None = None,
                      where: str = "prompts",
                      reference: Callable[[list[Any]], list[Any]] | None = None,
                      white_box: bool = True) -> SequenceDistillResult:
    """Distil a sequence model queried through `prompts` (whole sequences as it saw them).

    `reference` (a sequence -> the right output at each position) adds ground truth: how often
    program and model are right on the test sequences, and where the model errs but the
    program does not. `white_box=False` searches without the attention-derived selector
    priors."""
    t0 = time.monotonic()
    say = progress or (lambda msg: None)
    rng = np.random.default_rng(seed)
    prompts = [_strip_bos(oracle, p) for p in prompts]
    for i, p in enumerate(prompts, start=1):
        oracle.encode(p, where=f"{where}: sequence {i}")
    if oracle.from_token is not None and not any(oracle.first_compared(p) is not None
                                                 for p in prompts):
        raise ExamplesError(f"--from token {oracle.from_token!r} occurs in none of the {where}")
    fmt = Format(oracle, prompts)
    if test is None:
        order = rng.permutation(len(prompts)).tolist()
        k = max(1, int(len(prompts) * HOLD_OUT)) if len(prompts) > 4 else 0
        test = [prompts[i] for i in order[:k]]
        prompts = [prompts[i] for i in order[k:]]
    else:
        test = [_strip_bos(oracle, p) for p in test]
        for i, p in enumerate(test, start=1):
            oracle.encode(p, where=f"test: sequence {i}")
    oracle.min_len, oracle.max_len = fmt.min_len, fmt.max_len

    # queries: the prompts and in-format variations at their lengths
    say(f"querying the model on {len(prompts)} prompts and {n} variations")
    xs = prompts + fmt.variations(n, rng, fmt.min_len, fmt.max_len)
    xs = [x for x in xs if oracle.can_run(len(x))]
    ys = oracle(xs)
    xs, ys = _dedupe(xs, ys)
    in_prompts = {tuple(map(token_key, p)) for p in prompts}
    weights = [1.0 if tuple(map(token_key, x)) in in_prompts else VARIATION_WEIGHT for x in xs]

    # white box: the heads' attention read as selector priors for the engine (a constant
    # first token, the prompts' own <bos>, is read as the sink BOS is)
    box = WhiteBox()
    if white_box and (oracle.predict != "next" or oracle.from_token is None):
        say("reading the attention heads")
        probe, _ = _truncate(xs[: 4 * PROBE], ys[: 4 * PROBE])
        box = read_white_box(oracle, probe, skip_first=fmt.lead is not None and oracle.bos is None)
    priors = box.priors
    effort: tuple[int, int | None] = (0, None)

    causal_mode = oracle.causal
    parts: dict[str, str] = {}
    t_queries = time.monotonic() - t0
    if oracle.predict == "next" and oracle.from_token is not None:
        from rasplab.synth.seq2seq import synthesize_seq2seq

        say("searching separator programs")
        end = fmt.end if fmt.end is not None else fmt.specials()[-1]
        found = synthesize_seq2seq(xs, ys, vocab=oracle.tokens, sep_token=oracle.from_token,
                                   end_token=end, specials=fmt.specials(), budget=budget,
                                   weights=weights)
        program, solved, search = found.program, found.solved, "seq2seq"
        parts = {k: str(v) for k, v in (found.stats or {}).items()}
    elif oracle.predict == "next-set":
        program, parts, solved, effort = _search_sets(xs, ys, budget, causal_mode, priors, seed,
                                                      say, oracle.tokens)
        search = "bottomup per token"
    else:
        tx, ty = _truncate(xs, ys) if causal_mode else (xs, ys)
        say(f"searching ({budget:.0f} s)")
        found = _engine(tx, ty, budget, causal_mode, priors, seed)
        program, solved, search = found.program, found.solved, "bottomup"
        effort = (found.candidates, (found.stats or {}).get("candidates_to_best"))
    if program is None:
        raise RaspLabError(f"no program reproduced even one of the {len(xs)} queried "
                           f"sequences within {budget:g} s")

    t_search = time.monotonic() - t0 - t_queries
    say("verifying")
    test_out = oracle([x for x in test if oracle.can_run(len(x))])
    test_x = [x for x in test if oracle.can_run(len(x))]
    on_test = agreement(program, test_x, test_out, causal_mode)
    longer = None
    lo, hi = fmt.max_len + 1, 2 * fmt.max_len
    # inputs of one fixed length (count's two bounds) have no longer form to try
    longer_x = [x for x in fmt.variations(200, rng, lo, hi) if oracle.can_run(len(x))] \
        if fmt.min_len < fmt.max_len else []
    if longer_x:
        longer = agreement(program, longer_x, oracle(longer_x), causal_mode)
    from rasplab.synth.seq2seq import _render

    result = SequenceDistillResult(
        program=program, source=_render(to_rasp, program), agreement=on_test.positions,
        sequence_agreement=on_test.sequences, test=on_test, longer=longer, queries=len(xs),
        seconds=time.monotonic() - t0, search=search,
        model_description=oracle.description, solved_queries=bool(solved), parts=parts,
        candidates=effort[0], candidates_to_program=effort[1],
        candidates_to_solution=effort[1] if solved else None,
        white_box=bool(priors), head_priors=box.table, head_matches=box.pair(program))
    result.timings = {"queries": round(t_queries, 1), "search": round(t_search, 1),
                      "verification": round(time.monotonic() - t0 - t_queries - t_search, 1)}
    if reference is not None:
        result.truth = ground_truth(program, test_x, test_out, reference, causal_mode)
    if out_dir is not None:
        result.report = str(write_sequence_report(result, Path(out_dir), oracle))
    result.seconds = time.monotonic() - t0
    return result


def ground_truth(program: Node, xs: list[list[Any]], model_out: list[list[Any]],
                 reference: Callable[[list[Any]], list[Any]], causal: bool) -> dict[str, Any]:
    """Program and model against the reference on the compared positions of each sequence."""
    truth = []
    for x, m in zip(xs, model_out):
        try:
            t = list(reference(list(x)))
        except Exception as exc:
            raise RaspLabError(f"the reference failed on {x!r}: {exc}") from None
        if len(t) != len(x):
            raise RaspLabError(f"the reference gave {len(t)} outputs for an input of "
                               f"{len(x)} tokens")
        truth.append([v if w is not ANY else ANY for v, w in zip(t, m)])
    model_ok = [all(_same(a, b) for a, b in zip(m, t)) for m, t in zip(model_out, truth)]
    prog_ok = [agreement(program, [x], [t], causal).sequences == 1.0
               for x, t in zip(xs, truth)]
    return {"program_correct": float(np.mean(prog_ok)) if prog_ok else 0.0,
            "model_correct": float(np.mean(model_ok)) if model_ok else 0.0,
            "model_wrong_program_right": sum(p and not m for p, m in zip(prog_ok, model_ok)),
            "program_wrong_model_right": sum(m and not p for p, m in zip(prog_ok, model_ok))}


def load_reference(spec: str) -> Callable[[list[Any]], list[Any]]:
    """`module:function` (importable, or a `path/to/file.py:function`) as a reference."""
    import importlib
    import importlib.util

    module_name, _, attr = spec.rpartition(":")
    if not module_name or not attr:
        raise RaspLabError(f"--reference {spec!r}: expected module:function")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.exists():
                raise RaspLabError(f"--reference: file not found: {path}")
            loaded = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(loaded)  # type: ignore[arg-type]
            loaded.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            module = importlib.import_module(module_name)
    except RaspLabError:
        raise
    except Exception as exc:
        raise RaspLabError(f"--reference {spec!r}: cannot import {module_name} ({exc})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise RaspLabError(f"--reference {spec!r}: {module_name} has no function {attr!r}")
    return fn


def _strip_bos(oracle: SequenceOracle, p: list[Any]) -> list[Any]:
    if oracle.bos is not None and p and token_key(p[0]) == token_key(oracle.bos):
        return list(p[1:])
    return list(p)


def write_sequence_report(result: SequenceDistillResult, out_dir: Path,
                          oracle: SequenceOracle) -> Path:
    """`report.md`, `program.rasp` and `result.json` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "program.rasp").write_text(result.source)
    (out_dir / "result.json").write_text(json.dumps(result.summary(), indent=2, default=str))
    t = result.test
    lines = [f"# Distillation of {result.model_description}", ""]
    if not result.solved_queries:
        lines += ["**No program fitted every query**: the program below is the closest found; "
                  "its agreement is reported as measured.", ""]
    lines += ["```", result.source.rstrip(), "```", "",
              f"- predicted: `{oracle.predict}`" + (f" from `{oracle.from_token}`"
                                                     if oracle.from_token is not None else ""),
              f"- search: {result.search}; {result.queries} queried sequences; "
              f"{result.seconds:.1f} s",
              f"- agreement on {t.n} test sequences: {100 * t.positions:.1f}% of compared "
              f"positions, {100 * t.sequences:.1f}% of whole sequences", ""]
    if result.parts:
        lines += ["| part | found |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in result.parts.items()] + [""]
    lines += ["| length | sequence agreement |", "| --- | --- |"]
    lines += [f"| {k} | {100 * v:.1f}% |" for k, v in t.by_length.items()]
    if result.longer is not None:
        lo = result.longer
        lines += ["", f"Longer than the prompts ({lo.n} sequences): {100 * lo.positions:.1f}% of "
                      f"positions, {100 * lo.sequences:.1f}% of sequences.", "",
                  "| length | sequence agreement |", "| --- | --- |"]
        lines += [f"| {k} | {100 * v:.1f}% |" for k, v in lo.by_length.items()]
    if result.truth:
        g = result.truth
        lines += ["", f"Against the reference: program right on {100 * g['program_correct']:.1f}%"
                      f" of test sequences, model on {100 * g['model_correct']:.1f}%; the model "
                      f"is wrong and the program right on {g['model_wrong_program_right']}, the "
                      f"reverse on {g['program_wrong_model_right']}."]
    lines += _white_box_lines(result)
    if t.disagreements:
        lines += ["", "## Where they differ", ""]
        for d in t.disagreements:
            lines += [f"- input `{d['input']}`", f"  - model `{d['model']}`",
                      f"  - program `{d['program']}`"]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _white_box_lines(result: SequenceDistillResult) -> list[str]:
    """The report's white-box section: each selector of the program beside the head that shows
    it, and what each head looked like when the search began."""
    lines = ["", "## Selectors and the heads that implement them", ""]
    if result.head_matches:
        lines += ["Similarity: 1 minus the mean total-variation distance between the head's "
                  "attention rows (BOS's share read as selecting nothing) and the selector's. "
                  "Gain: how much closer the head is to the selector than to attending "
                  "everywhere or only to BOS (0: the selector is one of those).", "",
                  "| selector | head | similarity | gain |", "| --- | --- | --- | --- |"]
        lines += [f"| `{m['selector']}` | `{m['head']}` | {m['similarity']:.3f} | "
                  f"{m['gain']:.3f} |" for m in result.head_matches]
    else:
        lines.append("The program uses no selector, or the model's attention was not read.")
    if result.head_priors:
        lines += ["", "Each head's closest selector when the search began (`prior`: the cost "
                  "discount the search gave it):", "", "| head | selector | gain | prior |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| `{h['head']}` | `{h['selector']}` | {h['gain']:.3f} | "
                  f"{'' if h['prior'] is None else h['prior']} |" for h in result.head_priors]
    effort = f"{result.candidates} candidates searched"
    if result.candidates_to_solution is not None:
        effort += f", {result.candidates_to_solution} up to the solution"
    lines += ["", f"Search: {effort}; attention guidance "
                  f"{'on' if result.white_box else 'off (no head stood out, or none was read)'}."]
    return lines
