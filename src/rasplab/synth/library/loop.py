"""The DreamCoder-style loop: wake (synthesise every task with the library), then compress.

Each iteration attempts every task of the suite under a per-task budget with the current library,
keeps the shortest solution found per task so far (a solution must also be right on thousands of
fresh inputs of its task, not only on the examples searched), compresses all solutions with
Stitch, and makes the abstractions found the library of the next iteration. Iteration 1 has an
empty library, so it is the plain engine: the reports compare directly across iterations.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from rasplab.errors import CompileError, RaspLabError
from rasplab.parallel import Executor, InlineExecutor, Job, Journal, make_executor, run_jobs
from rasplab.synth.bottomup.search import per_example
from rasplab.synth.library.abstractions import to_def
from rasplab.synth.library.compress import compress
from rasplab.synth.library.corpus import program_to_sexpr
from rasplab.synth.library.io import Library, save_library

N_EXAMPLES = 100
#: with a recognition model, the share of an unsolved task's budget searched first under the
#: plain costs (the rest goes to the model's costs)
QUICK_SHARE = 0.1
#: ... and a solved task is replayed first under the model's costs for as long as its last
#: solving search took, but never into the time that search needs of the budget (at least
#: REPLAY_FLOOR seconds); the rest goes to the plain costs that found it before, so a replay the
#: model misjudges costs at most about that search's time again, and loses no task found in time
REPLAY_FLOOR = 1.0
#: ... and a task guided by the model gets this share of its time left in each pass, borrowing
#: the programs of related solved tasks from a pool that grows with each pass's solutions
FIRST_PASS = 1 / 3
#: a solution must also be right on this many fresh inputs of its task (another seed) before the
#: loop keeps it: 100 search examples can lack the rare inputs a wrong program fails (a shuffle-
#: Dyck program that checks the bracket counts but not the prefixes is right on 99% of inputs,
#: and one found after that check was wrong on 2 in 5,000); 5,000 cost about 0.05 s a task
CHECK_EXAMPLES = 5000
#: the fresh inputs' seed is the loop's seed plus this
CHECK_SEED = 7919
#: inputs a solution gets wrong that are added to the search examples before searching again
COUNTEREXAMPLES = 8


@dataclass
class TaskOutcome:
    """One task's search in one iteration."""

    task: str
    solved: bool
    accuracy: float
    seconds: float
    candidates: int
    sexpr: str = ""
    interrupted: bool = False
    #: why the task has no result ("raised ...", "timed out ...", "worker died ..."), if so
    error: str = ""
    #: solutions found on the search examples but wrong on the fresh check inputs (each sent the
    #: search back with some of the inputs it got wrong)
    rejected: int = 0


@dataclass
class IterationReport:
    """One iteration: what was solved, how long it took, and the library learned after it."""

    iteration: int
    solved: int
    total: int
    seconds: float
    search_seconds: float
    abstractions: list[str]
    newly_solved: list[str] = field(default_factory=list)
    library_size: int = 0
    compression_ratio: float = 1.0
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Ctrl-C cut this iteration short (only `tasks` were searched)
    interrupted: bool = False
    #: the dreaming step after compression (with `learn(recognition=...)`): dreams, training
    recognition: dict[str, Any] = field(default_factory=dict)
    #: task -> the solved tasks whose programs its search borrowed (`borrow` or `recognition`)
    borrowed: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def task_examples(name: str, n: int, seed: int) -> tuple[list, list]:
    """The examples the loop searches on for a task (fixed per task and seed)."""
    from rasplab.tasks import get_task

    task = get_task(name)
    xs = task.sample(n, seed)
    return xs, task.outputs(xs)


@lru_cache(maxsize=64)
def check_examples(name: str, seed: int) -> tuple[list, list]:
    """The fresh inputs (and outputs) a task's solutions must also be right on: sampled once
    per process, for the first solution found, and shared by every later search of the task
    (replays, passes, iterations). Read only."""
    return task_examples(name, CHECK_EXAMPLES, seed + CHECK_SEED)


def solve_task(name: str, library: Library | None, budget: float, n_examples: int,
               seed: int, recognition: Any = None, borrowed: tuple[str, ...] = ()
               ) -> TaskOutcome:
    """Search one task (with the library's abstractions when it has any, the production
    costs a recognition model predicts for its examples when one is given, and the `borrowed`
    programs of related solved tasks, s-expressions, as single steps). A solution counts only
    if it is also right on `CHECK_EXAMPLES` fresh inputs; until then the search goes on, for
    the rest of the budget, with some of the inputs it got wrong added to its examples."""
    from rasplab.synth.bottomup.grammar import Grammar
    from rasplab.synth.library import synthesize
    from rasplab.synth.recognition.related import borrowed_steps

    xs, ys = task_examples(name, n_examples, seed)
    lib = library if library is not None and library.abstractions else None
    weights = None
    if recognition is not None:
        from rasplab.synth.recognition import recognition_grammar
        weights = recognition_grammar(recognition, xs, ys)
    leaves, selectors = borrowed_steps(borrowed, Grammar.load(weights).cost("select"))
    start, candidates, rounds = time.monotonic(), 0, 0
    while True:
        left = budget - (time.monotonic() - start)
        result = synthesize(xs, ys, budget=max(left, 0.0), library=lib, progress=False,
                            seed=seed, grammar=weights, leaves=leaves,
                            selector_priors=selectors or None)
        candidates += result.candidates
        if not result.solved or result.program is None:
            break
        check_xs, check_ys = check_examples(name, seed)
        wrong = np.nonzero(~per_example(result.program, check_xs, check_ys))[0]
        if not len(wrong):
            break
        # right on the search examples, wrong on fresh ones: not a solution; search again
        # with some of the inputs it gets wrong, while time is left
        result.solved = False
        result.accuracy = 1.0 - len(wrong) / len(check_xs)
        rounds += 1
        if result.interrupted or budget - (time.monotonic() - start) <= 0.05:
            break
        xs = xs + [check_xs[i] for i in wrong[:COUNTEREXAMPLES]]
        ys = ys + [check_ys[i] for i in wrong[:COUNTEREXAMPLES]]
    sexpr = ""
    if result.solved and result.program is not None:
        try:
            sexpr = program_to_sexpr(result.program if result.searched is None
                                     else result.searched)
        except CompileError:
            sexpr = ""
    return TaskOutcome(name, result.solved, result.accuracy, time.monotonic() - start,
                       candidates, sexpr, result.interrupted, rejected=rounds)


def task_job(name: str, library: Library, budget: float, n_examples: int, seed: int,
             timeout: float | None = None, key: str | None = None,
             solver: Callable[..., TaskOutcome] | None = None, recognition: Any = None,
             borrowed: tuple[str, ...] = ()) -> Job:
    """The wake phase's job for one task (for any executor back end); `solver` defaults to
    `solve_task` (same arguments; a recognition model, when given, comes last, and borrowed
    programs, when any, as the keyword `borrowed`)."""
    extra = () if recognition is None else (recognition,)
    return Job(key or name, solver or solve_task, (name, library, budget, n_examples, seed,
                                                   *extra),
               kwargs={"borrowed": tuple(borrowed)} if borrowed else {}, timeout=timeout)


def _fingerprint(library: Library, budget: float, n_examples: int, seed: int,
                 recognition: Any = None) -> str:
    """Names the settings a wake-phase result depends on, for journal keys."""
    text = json.dumps([[to_def(a) for a in library.abstractions], budget, n_examples, seed,
                       CHECK_EXAMPLES])
    if recognition is not None:  # the model's weights, so a retrained model searches afresh
        text += hashlib.sha1(b"".join(v.detach().numpy().tobytes()
                                      for v in recognition.state_dict().values())).hexdigest()
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def wake(tasks: list[str], library: Library, *, budget: float, n_examples: int = N_EXAMPLES,
         seed: int = 0, executor: Executor | None = None, journal: Journal | None = None,
         task_timeout: float | None = None, bar: Any = None,
         solver: Callable[..., TaskOutcome] | None = None, recognition: Any = None,
         budgets: dict[str, float] | None = None, tag: str = "",
         borrowed: dict[str, tuple[str, ...]] | None = None
         ) -> tuple[list[TaskOutcome], bool]:
    """Search every task on `executor` (default: in this process); outcomes in task order, and
    whether Ctrl-C cut the phase short.

    A task that raises, overruns `task_timeout` (default 2 x budget + 60 s) twice or whose
    worker dies twice is reported unsolved with its `error`. With a `journal`, finished tasks
    are written as they finish and read back instead of searched again. `budgets` gives some
    tasks their own budget (`tag` then names the phase in the journal keys); `borrowed` gives
    some tasks programs of related solved tasks to search with as single steps.
    """
    ex = executor if executor is not None else InlineExecutor()
    timeout = task_timeout if task_timeout is not None else 2 * budget + 60
    lent = borrowed or {}
    if lent:  # what a task borrows changes its search: part of the journal key
        tag += hashlib.sha1(json.dumps(sorted(lent.items())).encode()).hexdigest()[:8]
    prefix = tag + _fingerprint(library, budget, n_examples, seed, recognition) + ":"
    own = budgets or {}
    jobs = [task_job(name, library, own.get(name, budget), n_examples, seed, timeout,
                     prefix + name, solver, recognition, lent.get(name, ()))
            for name in tasks]
    outcomes: dict[str, TaskOutcome] = {}
    interrupted = False
    finished = lambda r: not (r.ok and r.value.interrupted)  # noqa: E731 - else search again
    results = run_jobs(ex, jobs, journal=journal, encode=asdict,
                       decode=lambda d: TaskOutcome(**d), keep=finished)

    def record(r: Any) -> TaskOutcome:
        name = r.key[len(prefix):]
        out = r.value if r.ok else TaskOutcome(name, False, 0.0, r.seconds, 0, error=r.error)
        outcomes[name] = out
        if bar is not None:
            bar.set_postfix(task=name, refresh=False)
            bar.update(1)
        return out

    try:
        for r in results:
            if record(r).interrupted:
                interrupted = True
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if interrupted:
            try:  # searches in other workers saw Ctrl-C too: keep the best programs they send
                for r in ex.drain(3.0):
                    record(r)
                    if journal is not None and finished(r):
                        journal.append(r, asdict)
            except KeyboardInterrupt:
                ex.cancel()
        if executor is None:
            ex.close()
    return [outcomes[t] for t in tasks if t in outcomes], interrupted


def learn(tasks: list[str], *, budget: float = 30.0, iterations: int = 3,
          library: Library | None = None, out: str | Path | None = None,
          n_examples: int = N_EXAMPLES, seed: int = 0, compress_iterations: int = 8,
          max_arity: int = 3, workers: int = 1, progress: bool | None = None,
          on_iteration: Callable[[IterationReport], None] | None = None,
          executor: Executor | None = None, journal: str | Path | None = None,
          task_timeout: float | None = None, recognition: bool | str | Path = False,
          n_dreams: int = 1500, borrow: bool = False
          ) -> tuple[list[IterationReport], Library]:
    """Run the loop over `tasks`; returns one report per iteration and the final library.

    The wake phase runs on `executor` (default: `workers` local processes, or this process for
    one). With `journal` (a JSONL file) each task's result is written as it finishes and a
    rerun with the same settings resumes where it stopped. Ctrl-C stops the task being
    searched (keeping its best program), compresses what was solved so far, reports that
    partial iteration, and saves the library.

    With `recognition` (True, or a path to save the model to), a worker process at low priority
    dreams `n_dreams` programs and trains a recognition model on them while the first wake
    phase runs (once: the model is reused by every later iteration). Each iteration ends with
    the dreaming step: the model is refined on the solutions so far and its costs are set
    relative to the grammar refitted to them. From iteration 2, tasks solved before are
    replayed under the model's costs (for as long as their last solving search took, then the
    plain costs), and the others get a tenth of their budget under the plain costs, then the
    rest under the model's, borrowing the programs of the solved tasks the model reads as
    related (in passes, so that a task solved in one lends itself in the next).

    With `borrow` and no model, from iteration 2 the tasks no earlier iteration solved get a
    tenth of their budget as usual, then the rest borrowing the programs of the solved tasks
    on the same input tokens (the same passes, the plain costs).
    """
    library = library or Library()
    solutions: dict[str, str] = dict(library.solutions)
    reports: list[IterationReport] = []
    bar = _bar(len(tasks), progress)  # counts one iteration's tasks; reset for each
    ever: set[str] = set(solutions)
    took: dict[str, float] = {}  # task -> seconds of the last search that solved it
    ex = executor if executor is not None else make_executor(workers)
    log = Journal(journal) if journal is not None else None
    trainer = None
    if recognition:  # dreams and training overlap the first wake phase
        from rasplab.synth.recognition.phase import DreamTrainer
        trainer = DreamTrainer(tasks, n_dreams, seed)
    try:
        for it in range(1, iterations + 1):
            start = time.monotonic()
            if bar is not None:
                bar.set_description(f"library iteration {it}/{iterations}", refresh=False)
                bar.reset(total=len(tasks))
            options = dict(n_examples=n_examples, seed=seed, executor=ex, journal=log,
                           task_timeout=task_timeout, bar=bar)
            guidance: dict[str, Any] = {"guided": [], "waited": 0.0}
            if it > 1 and trainer is None and borrow:
                outcomes, interrupted, guidance = _borrowing_wake(tasks, library, solutions,
                                                                  ever, budget, options)
            elif trainer is None or it == 1:  # the model trains meanwhile: nothing to wait for
                outcomes, interrupted = wake(tasks, library, budget=budget, **options)
            else:
                outcomes, interrupted, guidance = _guided_wake(tasks, library, trainer,
                                                               solutions, ever, budget, options,
                                                               took)
            lenders = {t: n for t, n in guidance.pop("related", {}).items() if n}
            took.update({o.task: o.seconds for o in outcomes if o.solved})
            for o in outcomes:
                if o.solved and o.sexpr and (o.task not in solutions
                                             or len(o.sexpr) < len(solutions[o.task])):
                    solutions[o.task] = o.sexpr
            library, ratio = _abstraction_phase(solutions, compress_iterations, max_arity)
            dreaming: dict[str, Any] = {}
            if trainer is not None and not interrupted:
                dreaming = {**_dreaming_phase(trainer, solutions, seed + it, recognition),
                            **guidance}
                dreaming["waited"] = round(dreaming["waited"] + trainer.take_waited(), 2)
            solved_now = {o.task for o in outcomes if o.solved}
            report = IterationReport(
                iteration=it, solved=len(solved_now), total=len(tasks),
                seconds=round(time.monotonic() - start, 2),
                search_seconds=round(sum(o.seconds for o in outcomes), 2),
                abstractions=[to_def(a) for a in library.abstractions],
                newly_solved=sorted(solved_now - ever), library_size=len(library.abstractions),
                compression_ratio=round(ratio, 3),
                tasks={o.task: {"solved": o.solved, "seconds": round(o.seconds, 2),
                                "accuracy": round(o.accuracy, 4), "candidates": o.candidates,
                                **({"rejected": o.rejected} if o.rejected else {}),
                                **({"error": o.error} if o.error else {})}
                       for o in outcomes},
                interrupted=interrupted, recognition=dreaming,
                borrowed=lenders)
            ever |= solved_now
            reports.append(report)
            if on_iteration is not None:
                if bar is not None:
                    bar.clear()  # the summary gets lines of its own, not the bar's
                on_iteration(report)  # shown before saving: a failed write loses no report
            if out is not None:
                save_library(library, out)
            if interrupted:
                break
    except KeyboardInterrupt:
        pass
    finally:
        if bar is not None:
            bar.close()
        if trainer is not None:
            trainer.close()
        if executor is None:
            ex.close()
    if out is not None:
        save_library(library, out)
    return reports, library


def _abstraction_phase(solutions: dict[str, str], iterations: int, max_arity: int
                       ) -> tuple[Library, float]:
    """Compress every solution so far; the abstractions become the next library."""
    corpus = list(solutions.values())
    if len(corpus) < 2:
        return Library([], dict(solutions)), 1.0
    result = compress(corpus, iterations=iterations, max_arity=max_arity)
    return Library(result.abstractions, dict(solutions)), result.ratio


def _borrowing_wake(tasks: list[str], library: Library, solutions: dict[str, str],
                    solved_before: set[str], budget: float, options: dict[str, Any]
                    ) -> tuple[list[TaskOutcome], bool, dict[str, Any]]:
    """The wake phase of `learn(borrow=True)` without a model: the tasks solved before are
    searched as usual; the others as `_unsolved_phase` says, under the plain costs, borrowing
    the programs of solved tasks on the same input tokens."""
    order = {t: i for i, t in enumerate(tasks)}
    again = [t for t in tasks if t in solved_before]
    rest = [t for t in tasks if t not in solved_before]
    first, interrupted = wake(again, library, budget=budget, **options) if again else ([], False)
    others: list[TaskOutcome] = []
    related: dict[str, list[str]] = {}
    if rest and not interrupted:
        others, interrupted, related = _unsolved_phase(rest, library, None, dict(solutions),
                                                       budget, options)
    return (sorted(first + others, key=lambda o: order[o.task]), interrupted,
            {"related": related})


def _guided_wake(tasks: list[str], library: Library, trainer: Any, solutions: dict[str, str],
                 solved_before: set[str], budget: float, options: dict[str, Any],
                 took: dict[str, float] | None = None
                 ) -> tuple[list[TaskOutcome], bool, dict[str, Any]]:
    """The wake phase with a recognition model (trained on dreams and on the solutions so far).

    Tasks solved in an earlier iteration are replayed under the model's costs first (it was
    trained on their solutions, so it knows their productions) for as long as their last solving
    search took (`took`), at most the budget less that time (at least `REPLAY_FLOOR`); the few
    it misses get the rest under the plain costs, which found them before. The others go
    through `_unsolved_phase` under the model's costs: a tenth of their budget under the plain
    costs (the new library may make them easy), then borrowing the programs of the `RELATED`
    solved tasks the model reads as closest (`related_solutions`), in passes."""
    model = trainer.model()
    if model.config.base_weights is None and solutions:  # not yet refined: the first wake
        from rasplab.synth.recognition.phase import solution_grammar
        model.config.base_weights = dict(solution_grammar(solutions).weights)
    bar = options.get("bar")
    order = {t: i for i, t in enumerate(tasks)}
    replay = [t for t in tasks if t in solved_before]
    rest = [t for t in tasks if t not in solved_before]
    first: list[TaskOutcome] = []
    interrupted = False
    if replay:
        took = took or {}
        half = budget / 2  # a solution loaded with the library: no search time known
        own = {t: replay_budget(took.get(t, half), budget) for t in replay}
        first, interrupted = wake(replay, library, budget=half, budgets=own, tag="replay",
                                  recognition=model, **options)
    merged = {o.task: o for o in first}
    missed = [o for o in first if not o.solved and not o.error]
    fell_back: list[TaskOutcome] = []
    if missed and not interrupted:
        if bar is not None:
            bar.total += len(missed)
        left = {o.task: max(budget - o.seconds, 0.1) for o in missed}
        fell_back, interrupted = wake([o.task for o in missed], library, budget=budget,
                                      budgets=left, tag="fallback", **options)
    for g in fell_back:
        merged[g.task] = _then(merged[g.task], g)
    related: dict[str, list[str]] = {}
    guided: list[str] = []
    if rest and not interrupted:
        others, interrupted, related = _unsolved_phase(rest, library, model, dict(solutions),
                                                       budget, options)
        merged.update({o.task: o for o in others})
        guided = [t for t in rest if t in related]  # every task the passes searched
    return (sorted(merged.values(), key=lambda o: order[o.task]), interrupted,
            {"guided": guided, "related": related, "replayed": len(replay),
             "fell_back": [g.task for g in fell_back], "waited": trainer.take_waited()})


def _unsolved_phase(rest: list[str], library: Library, model: Any | None,
                    known: dict[str, str], budget: float, options: dict[str, Any]
                    ) -> tuple[list[TaskOutcome], bool, dict[str, list[str]]]:
    """Tasks no earlier iteration solved: `QUICK_SHARE` of their budget under the plain costs;
    those still unsolved, the rest in `_borrowing_passes` (under the model's costs, if any),
    borrowing from `known` and what the quick searches solved. Outcomes in `rest`'s order."""
    quick, interrupted = wake(rest, library, budget=budget * QUICK_SHARE, tag="quick",
                              **options)
    merged = {o.task: o for o in quick}
    hard = [o for o in quick if not o.solved and not o.error]
    related: dict[str, list[str]] = {}
    if hard and not interrupted:
        bar = options.get("bar")
        if bar is not None:
            bar.total += len(hard)
        known.update({o.task: o.sexpr for o in quick if o.solved and o.sexpr})
        left = {o.task: max(budget - o.seconds, 0.1) for o in hard}
        found, interrupted, related = _borrowing_passes(hard, library, model, known, left,
                                                        budget, options)
        for o in found:
            merged[o.task] = _then(merged[o.task], o)
    return [merged[t] for t in rest if t in merged], interrupted, related


def _borrowing_passes(hard: list[TaskOutcome], library: Library, model: Any | None,
                      known: dict[str, str], left: dict[str, float], budget: float,
                      options: dict[str, Any]
                      ) -> tuple[list[TaskOutcome], bool, dict[str, list[str]]]:
    """The hard tasks under the model's costs (the plain ones without a `model`), borrowing
    related solved programs, in passes: each pass gives every task still unsolved `FIRST_PASS`
    of its time left, borrowing from a pool that holds the earlier passes' solutions too
    (nesting solved in one pass lends itself to level_count in the next, and level_count to
    dyck2); once a pass solves nothing, the rest get all their time left. A bottom-up search
    grows exponentially with its depth, so starting one again costs a small part of the next
    pass."""
    tasks = [o.task for o in hard]
    related: dict[str, list[str]] = {}
    merged: dict[str, TaskOutcome] = {}
    todo, interrupted, last, tag = list(tasks), False, False, "guided"
    bar = options.get("bar")
    while todo and not interrupted:
        related.update(_related(model, todo, known, options))
        lent = {t: tuple(known[n] for n in related[t]) for t in todo if related[t]}
        used = {t: merged[t].seconds if t in merged else 0.0 for t in todo}
        share = 1.0 if last else FIRST_PASS
        own = {t: max((left[t] - used[t]) * share, 0.1) for t in todo}
        if bar is not None and merged:
            bar.total += len(todo)
        found, interrupted = wake(todo, library, budget=budget, budgets=own, tag=tag,
                                  recognition=model, borrowed=lent, **options)
        for o in found:
            merged[o.task] = _then(merged[o.task], o) if o.task in merged else o
        solved = {o.task: o.sexpr for o in found if o.solved and o.sexpr}
        known.update(solved)
        todo = [o.task for o in found if not o.solved and not o.error
                and left[o.task] - merged[o.task].seconds > 0.1]
        if last:
            break
        last, tag = not solved, tag + "+"
    return [merged[t] for t in tasks if t in merged], interrupted, related


def _related(model: Any | None, hard: list[str], known: dict[str, str],
             options: dict[str, Any]) -> dict[str, list[str]]:
    """For each hard task, the solved tasks (of `known`) whose programs it borrows (without a
    model, by shared input tokens alone)."""
    from rasplab.synth.recognition.related import Solved, input_vocab, related_solutions

    n, seed = options.get("n_examples", N_EXAMPLES), options.get("seed", 0)
    pool: dict[str, Solved] = {}
    for name, sexpr in known.items():
        try:
            xs, ys = task_examples(name, n, seed)
        except RaspLabError:  # a solution of a task this version does not know
            continue
        code = model.embed(xs, ys) if model is not None else None
        pool[name] = Solved(code, sexpr, input_vocab(xs))
    out = {}
    for task in hard:
        xs, ys = task_examples(task, n, seed)
        out[task] = related_solutions(model, xs, ys,
                                      {k: v for k, v in pool.items() if k != task})
    return out


def replay_budget(took: float, budget: float) -> float:
    """Seconds a solved task is replayed under the model's costs: as long as its last solving
    search took, leaving the plain costs that much of the budget (at least `REPLAY_FLOOR`)."""
    return max(REPLAY_FLOOR, min(took, budget - took))


def _then(a: TaskOutcome, b: TaskOutcome) -> TaskOutcome:
    """One task's outcome over two searches in a row (the better result, their costs added)."""
    best = b if (b.solved or b.accuracy >= a.accuracy) and not a.solved else a
    return TaskOutcome(b.task, best.solved, best.accuracy, a.seconds + b.seconds,
                       a.candidates + b.candidates, best.sexpr, b.interrupted, b.error,
                       a.rejected + b.rejected)


def _dreaming_phase(trainer: Any, solutions: dict[str, str], seed: int,
                    recognition: bool | str | Path) -> dict[str, Any]:
    """Refine the recognition model (trained once, in a worker) on the solutions so far; save
    it when given a path."""
    model, stats = trainer.refine(solutions, seed=seed)
    if not isinstance(recognition, bool):
        from rasplab.synth.recognition import save_recognition
        save_recognition(model, recognition)
    return stats


def _bar(total: int, progress: bool | None) -> Any:
    if progress is False:
        return None
    from tqdm import tqdm
    return tqdm(total=total, unit="task", leave=False, disable=None if progress is None else False)
