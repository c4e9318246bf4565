"""Benchmark: the library loop's wake phase on the local process pool and on Ray, 1 and 2 workers.

Runs one wake phase (no compression) of a suite at a fixed per-task budget on each back end and
worker count, and reports wall time, speed-up, per-task back-end overhead (a task's wall time
from dispatch to result minus its run time in the worker) and the load average (the machine is
shared). From the per-task run times it estimates the wall time on a 64-core cluster: the tasks
packed longest-first onto 64 workers (at least sum/64 and at least the longest task), plus the
measured per-task overhead. Writes benchmarks/results/parallel.json and parallel.md.

    nice -n 10 python benchmarks/bench_parallel.py [--suite all] [--budget 10]

On a checkout others are editing, run it on a snapshot of a commit instead:
    git archive HEAD | tar -x -C /tmp/snap && PYTHONPATH=/tmp/snap/src nice -n 10 python ...
(the rows record which `rasplab` each back end's workers imported).
"""
from __future__ import annotations

import argparse
import heapq
import json
import os
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from rasplab.synth.library.io import Library
from rasplab.synth.library.loop import N_EXAMPLES, wake
from rasplab.tasks import get_suite

RESULTS = Path(__file__).with_name("results")


def executor_for(backend: str, workers: int):
    """A fresh executor (Ray started with exactly `workers` CPUs); also its start-up seconds."""
    start = time.monotonic()
    if backend == "ray":
        from rasplab.parallel.ray_backend import RayExecutor

        ex = RayExecutor("local", workers=workers)
    else:
        from rasplab.parallel.local import LocalExecutor

        ex = LocalExecutor(workers)
    return ex, time.monotonic() - start


def where() -> str:
    """Runs in a worker: the `rasplab` it imports (the snapshot, not the live checkout)."""
    import rasplab

    return str(Path(rasplab.__file__).parent)


def run_config(tasks: list[str], backend: str, workers: int, budget: float, n_examples: int
               ) -> dict:
    """One wake phase on one back end; per-task times as the executor saw them."""
    from rasplab.parallel.journal import Journal

    load_before = os.getloadavg()
    ex, startup = executor_for(backend, workers)
    # the journal records each task's run time and wall time as the executor saw them
    journal = Journal(Path(tempfile.mkdtemp()) / "wake.jsonl")
    from rasplab.parallel import Job

    (probe,) = ex.map([Job("where", where)])
    source = probe.value if probe.ok else probe.error
    bar = tqdm(total=len(tasks), desc=f"{backend} x{workers}", unit="task", leave=False)
    start = time.monotonic()
    try:
        outcomes, interrupted = wake(tasks, Library(), budget=budget, n_examples=n_examples,
                                     executor=ex, journal=journal, bar=bar)
    finally:
        wall = time.monotonic() - start
        bar.close()
        ex.close()
    recs = {k.split(":", 1)[1]: v for k, v in journal.done.items()}
    journal.path.unlink(missing_ok=True)
    per_task = {o.task: {"solved": o.solved, "seconds": round(recs[o.task]["seconds"], 3),
                         "wall": round(recs[o.task]["wall"], 3), "error": o.error}
                for o in outcomes if o.task in recs}
    overheads = [t["wall"] - t["seconds"] for t in per_task.values()]
    return {"backend": backend, "workers": workers, "source": source,
            "startup": round(startup, 2),
            "wall": round(wall, 2), "solved": sum(o.solved for o in outcomes),
            "tasks": len(outcomes), "interrupted": interrupted,
            "overhead_mean": round(sum(overheads) / max(len(overheads), 1), 3),
            "overhead_max": round(max(overheads, default=0.0), 3),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()], "per_task": per_task}


def packed_wall(times: list[float], workers: int) -> float:
    """Wall time of tasks packed longest-first onto `workers` workers (list scheduling)."""
    finish = [0.0] * workers
    for t in sorted(times, reverse=True):
        heapq.heapreplace(finish, finish[0] + t)
    return max(finish)


def estimate(times: list[float], overhead: float, cores: int = 64) -> dict:
    """The cluster estimate from per-task run times and the per-task overhead; also for a
    suite ten times larger with the same mix of task times (`x10`)."""
    ten = times * 10
    return {"cores": cores, "sum": round(sum(times), 1), "longest": round(max(times), 1),
            "lower_bound": round(max(sum(times) / cores, max(times)), 1),
            "packed": round(packed_wall(times, cores) + overhead, 1),
            "x10_sum": round(sum(ten), 1),
            "x10_packed": round(packed_wall(ten, cores) + overhead * 10 * len(times) / cores, 1)}


def table(rows: list[dict], budget: float, suite: str, est: dict) -> str:
    base = {r["backend"]: r["wall"] for r in rows if r["workers"] == 1}
    local1 = base.get("local")
    lines = [f"Wake phase of the `{suite}` suite ({rows[0]['tasks']} tasks), {budget:g} s per "
             f"task, one iteration, no compression.", "",
             "| back end | workers | wall s | speed-up vs 1 worker | vs local x1 | solved | "
             "start-up s | overhead/task s (mean, max) | load avg before -> after |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        same = base.get(r["backend"])
        lines.append(
            f"| {r['backend']} | {r['workers']} | {r['wall']:.1f} | "
            f"{same / r['wall']:.2f}x | {local1 / r['wall']:.2f}x | {r['solved']}/{r['tasks']} |"
            f" {r['startup']:.1f} | {max(0.0, r['overhead_mean']):.2f}, {r['overhead_max']:.2f} | "
            f"{r['load_before'][0]:.2f} -> {r['load_after'][0]:.2f} |"
            if same and local1 else f"| {r['backend']} | {r['workers']} | {r['wall']:.1f} | | |")
    lines += ["", f"64-core estimate from the local x1 per-task run times: sum {est['sum']} s, "
              f"longest {est['longest']} s; lower bound max(sum/64, longest) = "
              f"{est['lower_bound']} s; packed longest-first plus the per-task overhead = "
              f"{est['packed']} s. A suite ten times larger with the same mix "
              f"({10 * rows[0]['tasks']} tasks, {est['x10_sum']} s of search) would take about "
              f"{est['x10_packed']} s on 64 cores (one worker: {est['x10_sum']} s), plus Ray's "
              f"start-up (~{max(r['startup'] for r in rows):.0f} s here) or joining the "
              f"cluster."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", default="all")
    ap.add_argument("--budget", type=float, default=10.0)
    ap.add_argument("--examples", type=int, default=N_EXAMPLES)
    ap.add_argument("--configs", default="local:1,local:2,ray:1,ray:2",
                    help="back end:workers pairs, comma-separated")
    ap.add_argument("--out", default=str(RESULTS / "parallel.json"))
    ap.add_argument("--render", metavar="FILE.json",
                    help="only rewrite the table (and estimate) from an earlier run's JSON")
    args = ap.parse_args()
    if args.render:
        doc = json.loads(Path(args.render).read_text())
        report(doc["rows"], doc, Path(args.out))
        return
    tasks = get_suite(args.suite)
    rows = []
    try:
        for spec in args.configs.split(","):
            backend, workers = spec.split(":")
            row = run_config(tasks, backend, int(workers), args.budget, args.examples)
            rows.append(row)
            print(f"{backend} x{workers} ({row['source']}): wall {row['wall']:.1f} s, solved "
                  f"{row['solved']}/{row['tasks']}, start-up {row['startup']:.1f} s, overhead "
                  f"{row['overhead_mean']:.2f} s/task, load {row['load_before']} -> "
                  f"{row['load_after']}", flush=True)
    except KeyboardInterrupt:
        print("interrupted: writing the configurations finished so far")
    if not rows:
        return
    doc = {"suite": args.suite, "budget": args.budget, "examples": args.examples,
           "commit": os.environ.get("RASPLAB_COMMIT", ""), "cpus": os.cpu_count()}
    report(rows, doc, Path(args.out))


def report(rows: list[dict], doc: dict, out: Path) -> None:
    """Writes the JSON and the Markdown table with the 64-core estimate; prints the table."""
    ref = next((r for r in rows if r["backend"] == "local" and r["workers"] == 1), rows[0])
    times = [t["seconds"] for t in ref["per_task"].values()]
    overhead = max(r["overhead_mean"] for r in rows)
    est = estimate(times, overhead)
    doc = {**doc, "rows": rows, "estimate_64": est}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    md = table(rows, doc["budget"], doc["suite"], est)
    if doc.get("commit"):
        md += f"\nMeasured at commit {doc['commit']} (a snapshot, while others edited the " \
              "checkout).\n"
    out.with_suffix(".md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
