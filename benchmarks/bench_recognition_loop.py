"""Benchmark: `rasplab library` plain, with `--borrow` and with `--recognition`, in one run.

Runs the same command three times, back to back, as a user would (`python -m rasplab.cli.main`,
one torch thread): plain; with `--borrow` (hard tasks borrow solved programs on the same input
tokens, no model); with `--recognition` (the model's costs, and borrowing chosen by its reading
too). Reports per configuration the wall time of the
whole command, its CPU seconds (the training worker included), the load average around it, and
per iteration the tasks solved, seconds and (with the model) the tasks guided and the wait for
the model, and checks each final solution on `--fresh` (5,000) inputs of a seed the loop never
searched on. Writes benchmarks/results/recognition-loop.{json,md}.

    nice -n 5 python benchmarks/bench_recognition_loop.py [--suite all] [--budget 30] \\
        [--iterations 2] [--order plain,borrow,recognition]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
CLI = "import sys; from rasplab.cli.main import main; sys.exit(main())"
LABELS = {"plain": "plain", "borrow": "--borrow", "recognition": "--recognition"}


def run_config(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """One `rasplab library` run; its reports, wall and CPU seconds and the load around it."""
    cmd = [sys.executable, "-c", CLI, "library", "--suite", args.suite, "--budget",
           str(args.budget), "--iterations", str(args.iterations), "--json",
           "-o", str(tmp / f"{name}-library.json")]
    if name == "recognition":
        cmd += ["--recognition", str(tmp / "recognition.safetensors")]
    elif name == "borrow":
        cmd += ["--borrow"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    load_before = os.getloadavg()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    reports = json.loads(proc.stdout)
    fresh = check_fresh(tmp / f"{name}-library.json", args.fresh)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    out = {"command": " ".join(["rasplab"] + cmd[3:]), "wall_seconds": round(wall, 1),
           "cpu_seconds": round(cpu, 1), "load_before": [round(x, 2) for x in load_before],
           "load_after": [round(x, 2) for x in os.getloadavg()],
           "solved_last": reports[-1]["solved"], "total": reports[-1]["total"],
           "ever_solved": len({t for r in reports for t, o in r["tasks"].items()
                               if o["solved"]}),
           "iterations": [{"iteration": r["iteration"], "solved": r["solved"],
                           "seconds": r["seconds"], "search_seconds": r["search_seconds"],
                           "unsolved": sorted(t for t, o in r["tasks"].items()
                                              if not o["solved"]),
                           "unsolved_seconds": round(sum(o["seconds"] for o in r["tasks"].values()
                                                         if not o["solved"]), 2),
                           "task_seconds": {t: o["seconds"] for t, o in r["tasks"].items()},
                           "recognition": r["recognition"],
                           "borrowed": r.get("borrowed", {})} for r in reports],
           "fresh": fresh}
    print(f"{name}: {out['solved_last']}/{out['total']} solved in the last iteration "
          f"({out['ever_solved']} ever; {fresh['right']}/{fresh['checked']} solutions right on "
          f"{args.fresh} fresh inputs), wall {out['wall_seconds']} s, CPU "
          f"{out['cpu_seconds']} s, load {out['load_before'][0]} -> {out['load_after'][0]}",
          flush=True)
    for it in out["iterations"]:
        rec = it["recognition"]
        extra = (f", guided {', '.join(rec.get('guided', [])) or 'none'}, replayed "
                 f"{rec.get('replayed', 0)} (fell back {rec.get('fell_back', [])}), waited "
                 f"{rec.get('waited')} s, refine {rec.get('seconds')} s" if rec else "")
        extra += f", borrowed {_borrowed(it)}" if it["borrowed"] else ""
        print(f"  iteration {it['iteration']}: {it['solved']} solved in {it['seconds']} s, "
              f"unsolved {it['unsolved']} ({it['unsolved_seconds']} s){extra}", flush=True)
    return out


def check_fresh(library: Path, n: int) -> dict[str, Any]:
    """Each solution of the final library run on `n` fresh inputs of its task (a seed the loop
    never searched on): how many are right on every one, which are not, and the programs."""
    from rasplab.lang.evaluator import evaluate
    from rasplab.lang.sexpr import from_sexpr
    from rasplab.tasks import get_task

    solutions = json.loads(library.read_text())["solutions"]
    wrong = []
    for task, sexpr in sorted(solutions.items()):
        t = get_task(task)
        xs = t.sample(n, 12345)
        if evaluate(from_sexpr(sexpr), xs) != t.outputs(xs):
            wrong.append(task)
    return {"checked": len(solutions), "right": len(solutions) - len(wrong), "wrong": wrong,
            "solutions": solutions}


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    names = list(results)
    runs = [results[n] for n in names]
    lines = [f"# rasplab library --suite {args.suite} --budget {args.budget:g} --iterations "
             f"{args.iterations}: {', '.join(LABELS.get(n, n) for n in names)}, back to back",
             "", "| | " + " | ".join(LABELS.get(n, n) for n in names) + " |",
             "|---" * (len(names) + 1) + "|"]

    def row(label: str, cells: list[Any]) -> None:
        lines.append(f"| {label} | " + " | ".join(str(c) for c in cells) + " |")

    row("solved (last iteration)", [f"{r['solved_last']}/{r['total']}" for r in runs])
    row(f"solutions right on {args.fresh} fresh inputs each",
        [f"{r['fresh']['right']}/{r['fresh']['checked']}" for r in runs])
    row("wall seconds", [r["wall_seconds"] for r in runs])
    row("CPU seconds", [r["cpu_seconds"] for r in runs])
    row("load average before -> after",
        [f"{r['load_before'][0]} -> {r['load_after'][0]}" for r in runs])
    for i in range(len(runs[0]["iterations"])):
        its = [r["iterations"][i] for r in runs]
        row(f"iteration {i + 1}: solved, seconds", [f"{it['solved']}, {it['seconds']}"
                                                     for it in its])
        row(f"iteration {i + 1}: seconds on tasks left unsolved",
            [it["unsolved_seconds"] for it in its])
        both = [t for t in its[0]["task_seconds"] if all(t not in it["unsolved"] for it in its)]
        if both:
            row(f"iteration {i + 1}: seconds on the {len(both)} tasks all solved",
                [f"{sum(it['task_seconds'][t] for t in both):.1f}" for it in its])
        row(f"iteration {i + 1}: borrowed", [_borrowed(it) for it in its])
        row(f"iteration {i + 1}: model", [_model(it["recognition"]) for it in its])
    return "\n".join(lines) + "\n"


def _model(g: dict[str, Any]) -> str:
    if not g:
        return "-"
    fell_back = ", ".join(g.get("fell_back", [])) or "none"
    guided = ", ".join(g.get("guided", [])) or "none"
    return (f"replayed {g.get('replayed', 0)} (fell back: {fell_back}), guided {guided}; "
            f"waited {g.get('waited', 0)} s, refined {g.get('seconds', 0)} s")


def _borrowed(it: dict[str, Any]) -> str:
    """Each task that borrowed, with the solved tasks it borrowed from."""
    return ", ".join(f"{t} from {'/'.join(n)}" for t, n in it.get("borrowed", {}).items()) or "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", default="all")
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--order", default="plain,borrow,recognition",
                    help="which configuration runs first (the load drifts)")
    ap.add_argument("--fresh", type=int, default=5000,
                    help="fresh inputs each final solution is checked on")
    ap.add_argument("--out", default=str(RESULTS / "recognition-loop"))
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.order.split(","):
            results[name] = run_config(name, args, Path(tmp))
    text = markdown(results, args)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(results, indent=1) + "\n")
    Path(args.out + ".md").write_text(text)


if __name__ == "__main__":
    main()
