"""Distil GPT-2 models trained by `benchmarks/causal/train_gpt2.py` and report, per model, its
accuracy, the program, sequence agreement on held-out prompts at training lengths and beyond,
and seconds — the table the README shows.

    python benchmarks/causal/train_gpt2.py --all --out runs/gpt2
    python benchmarks/bench_causal.py runs/gpt2 --timeout 120
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

LANGUAGES = ("dyck1", "dyck2", "tomita2", "tomita4")


def command(folder: Path, timeout: float) -> list[str]:
    """The `rasplab distill` command a user would type for this model folder."""
    args = [str(folder), "--tokens", str(folder / "tokens.json"),
            "--prompts", str(folder / "prompts.jsonl"), "--test", str(folder / "test.jsonl"),
            "--timeout", str(timeout), "--json", "-o", str(folder / "distilled")]
    if folder.name in LANGUAGES or (folder / "train.json").exists() and json.loads(
            (folder / "train.json").read_text()).get("predict") == "next-set":
        args += ["--predict", "next-set"]
    else:
        args += ["--predict", "next", "--from", "<sep>"]
    return args


def long_agreement(folder: Path, program_source: str, args: list[str]) -> dict | None:
    """On `test_long.jsonl` (longer than training): sequence agreement of program and model,
    and how often each is right by the task's ground truth (`lm_tasks`)."""
    long = folder / "test_long.jsonl"
    if not long.exists():
        return None
    from rasplab.distill.sequence_oracle import SequenceOracle, read_sequences, read_token_list
    from rasplab.distill.sequences import _same, agreement
    from rasplab.distill.user_models import load_user_model
    from rasplab.lang import parse
    from rasplab.lang.values import ANY

    tokens = read_token_list(folder / "tokens.json", "tokens")
    predict = args[args.index("--predict") + 1]
    from_token = "<sep>" if "--from" in args else None
    oracle = SequenceOracle(load_user_model(folder), tokens, predict=predict,
                            from_token=from_token)
    xs = [x for x in read_sequences(long, "test") if oracle.can_run(len(x))]
    if not xs:
        return None
    program = parse(program_source).last_node
    model_out = oracle(xs)
    out = {"agreement": agreement(program, xs, model_out).sequences}
    task_name = json.loads((folder / "train.json").read_text()).get("task", folder.name) \
        if (folder / "train.json").exists() else folder.name
    sys.path.insert(0, str(Path(__file__).resolve().parent / "causal"))
    import lm_tasks

    if task_name not in lm_tasks.LM_TASKS:
        return out
    task = lm_tasks.get(task_name)
    truth = []
    for x, m in zip(xs, model_out):
        right = dict(task.compared(x))
        want = [ANY] * len(x)
        for pos, v in right.items():
            want[pos] = tuple(t for t in tokens if t in v) if predict == "next-set" else v
        truth.append(want)
    model_ok = [all(_same(a, b) for a, b in zip(m, t)) for m, t in zip(model_out, truth)]
    out["program_correct"] = agreement(program, xs, truth).sequences
    out["model_correct"] = sum(model_ok) / len(model_ok)
    return out


def _describe(row: dict) -> str:
    parts = row.get("parts") or {}
    if "rest" in parts:
        first = parts.get("first")
        return (f"first: {first}; then: {parts['rest']}" if first not in (None, "None")
                else parts["rest"])
    if parts:
        return "; ".join(f"{k}: {v}" for k, v in parts.items())
    return str(row.get("error", ""))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", type=Path, help="folder of model folders (train_gpt2.py --out)")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--only", nargs="*", help="model folder names to run")
    p.add_argument("--table-only", action="store_true",
                   help="re-read the JSON results and rewrite the table (long-length checks "
                        "re-run)")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/causal"))
    a = p.parse_args()
    if a.table_only:
        rows = json.loads(a.out.with_suffix(".json").read_text())
        for r in rows:
            if r.get("program"):
                folder = Path(r["command"].split()[2])
                r["long_test"] = long_agreement(folder, r["program"], r["command"].split()[2:])
        return _write(rows, a.out)
    rows = []
    folders = sorted(f for f in a.runs.iterdir() if (f / "config.json").exists())
    if a.only:
        folders = [f for f in folders if f.name in a.only]
    for folder in folders:
        args = command(folder, a.timeout)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "rasplab.cli.main", "distill", *args],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        train = json.loads((folder / "train.json").read_text()) \
            if (folder / "train.json").exists() else {}
        acc = train.get("accuracy", {})
        row = {"model": folder.name, "command": "rasplab distill " + " ".join(args),
               "model_accuracy": acc.get("test", {}).get("sequence"),
               "model_accuracy_long": acc.get("test_long", {}).get("sequence"),
               "seconds": round(wall, 1), "exit": done.returncode}
        if done.stdout.strip():
            res = json.loads(done.stdout)
            row.update(program=res["program"], position_agreement=res["agreement"],
                       sequence_agreement=res["sequence_agreement"],
                       generated_longer=(res.get("longer") or {}).get("sequence_agreement"),
                       search=res["search"], parts=res.get("parts"))
            row["long_test"] = long_agreement(folder, res["program"], args)
        else:
            row["error"] = done.stderr.strip().splitlines()[-1:] or ["no output"]
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "program"}), flush=True)
    return _write(rows, a.out)


def _write(rows: list[dict], out: Path) -> int:
    """The JSON results and the markdown table beside them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2))
    lines = ["| model | model accuracy | sequence agreement (test) | longer: agreement | "
             "longer: program right | longer: model right | seconds | program found |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        def pct(v: object) -> str:
            return f"{100 * v:.1f}%" if isinstance(v, int | float) else "–"
        lo = r.get("long_test") or {}
        lines.append(f"| {r['model']} | {pct(r.get('model_accuracy'))} | "
                     f"{pct(r.get('sequence_agreement'))} | {pct(lo.get('agreement'))} | "
                     f"{pct(lo.get('program_correct'))} | {pct(lo.get('model_correct'))} "
                     f"| {r['seconds']} | {_describe(r)} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    good = sum((r.get("sequence_agreement") or 0) >= 0.9 for r in rows)
    print(f"{good}/{len(rows)} models at >= 90% sequence agreement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
