"""Train the RASP paper's seven tasks with and without attention supervision; write a table.

Run: `nice -n 10 python benchmarks/bench_train.py` (about an hour on 2 shared cores). Writes
benchmarks/results/train.json and train.md; each row is reproducible with the printed command.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from rasplab.models import for_task, save_model, train

PAPER_TASKS = ["reverse", "hist", "double_hist", "sort", "most_freq", "dyck1", "dyck2"]
RESULTS = Path(__file__).parent / "results"


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}"


def mse(x: float | None) -> str:
    return "–" if x is None else f"{x:.1e}"


def markdown(rows: list[dict]) -> str:
    lines = ["| task | attention supervision | layers × heads | steps | held-out token acc. % "
             "| held-out sequence acc. % | longer inputs token acc. % | attention MSE | wall s "
             "| CPU s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        sup = "no"
        if r["attn_supervision"]:
            sup = f"yes (weight {r.get('attn_weight') or 100:g})"
        lines.append(f"| {r['task']} | {sup} | "
                     f"{r['layers']} × {r['heads']} | {r['steps']} | {pct(r['accuracy'])} | "
                     f"{pct(r['sequence_accuracy'])} | {pct(r['length_gen_accuracy'])} | "
                     f"{mse(r.get('attention_mse'))} | "
                     f"{r['seconds']:.0f} | {r['cpu_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def merge(parts: list[Path], out: Path) -> None:
    """One table from partial runs (e.g. tasks split over processes), in the paper's order."""
    docs = [json.loads(p.read_text()) for p in parts]
    rows = [r for d in docs for r in d["rows"]]
    rows.sort(key=lambda r: (PAPER_TASKS.index(r["task"]) if r["task"] in PAPER_TASKS else 99,
                             r["attn_supervision"]))
    meta = {**docs[0], "rows": rows}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    out.with_suffix(".md").write_text(markdown(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", nargs="*", default=PAPER_TASKS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--modes", default="plain,supervised",
                        help="comma list of plain and/or supervised")
    parser.add_argument("--save-models", action="store_true",
                        help="also write each model to benchmarks/results/models/ (not committed)")
    parser.add_argument("--out", default=str(RESULTS / "train"))
    parser.add_argument("--merge", nargs="*", metavar="JSON",
                        help="only combine the rows of earlier partial runs into --out")
    args = parser.parse_args()
    if args.merge:
        merge([Path(p) for p in args.merge], Path(args.out))
        return

    rows: list[dict] = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.tasks:
        for mode in args.modes.split(","):
            sup = mode == "supervised"
            config = for_task(name, seed=args.seed, attn_supervision=sup or None)
            result = train(name, config)
            cfg = result.model.net.cfg
            row = {"task": name, "attn_supervision": sup,
                   "attn_weight": config.attn_weight if sup else None, "layers": cfg.n_layers,
                   "heads": cfg.n_heads, "d_model": cfg.d_model, "d_mlp": cfg.d_mlp,
                   "causal": cfg.causal, "command": f"rasplab train {name} --seed {args.seed}"
                   + (" --attn-supervision" if sup else ""), **result.summary()}
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("task", "attn_supervision", "accuracy",
                                                  "sequence_accuracy", "seconds")}), flush=True)
            if args.save_models:
                save_model(result.model, RESULTS / "models" / f"{name}-{mode}.safetensors")
            meta = {"machine": platform.processor() or platform.machine(),
                    "torch_threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"),
                    "rows": rows}
            out.with_suffix(".json").write_text(json.dumps(meta, indent=2))
            out.with_suffix(".md").write_text(markdown(rows))


if __name__ == "__main__":
    main()
