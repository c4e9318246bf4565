"""White box that pays: each model trained elsewhere distilled twice, with and without the
selector priors its attention heads give the search; candidates-to-solution and seconds side
by side.

The models are the folders the training scripts write (TransformerLens classifiers from
``causal/train_tl.py``, GPT-2 next-set models from ``causal/train_gpt2.py``):

    python benchmarks/causal/train_tl.py gt_first seq_max index_equal count_last --out runs/tl
    python benchmarks/causal/train_gpt2.py dyck1 tomita2 --out runs/gpt2
    python benchmarks/bench_whitebox.py --models runs/tl/* runs/gpt2/dyck1 runs/gpt2/tomita2

Writes benchmarks/results/whitebox.md and whitebox.json; prints the table. Candidates are
counted up to the program returned: to the solution when it fits every query, else (a model
that errs on a few queries) to the closest program, marked with `*`.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

OUT = Path(__file__).parent / "results"


def load(folder: Path):
    """The oracle for a training script's folder, and its prompts and test sequences."""
    from rasplab.distill.sequence_oracle import SequenceOracle, read_sequences, read_token_list
    from rasplab.distill.user_models import load_user_model

    info = json.loads((folder / "train.json").read_text())
    tokens = read_token_list(folder / "tokens.json", "tokens")
    if (folder / "config.json").exists():  # a Hugging Face folder
        model = load_user_model(folder)
        oracle = SequenceOracle(model, tokens, predict=info["predict"],
                                description=model.description)
    else:
        model = load_user_model(folder / f"{folder.name}.safetensors")
        oracle = SequenceOracle(model, tokens, predict="classes", bos=info.get("bos"),
                                classes=read_token_list(folder / "classes.json", "classes"),
                                description=model.description)
    return oracle, read_sequences(folder / "prompts.jsonl"), read_sequences(folder / "test.jsonl")


def trained(folder: Path) -> dict:
    """What train.json says of the model: its test accuracy and training run."""
    info = json.loads((folder / "train.json").read_text())
    acc = info["accuracy"]["test"]
    keys = ("layers", "d_model", "heads", "vocab_size", "min_len", "max_len")
    return {"sequence_accuracy": acc["sequence"], "steps": info["steps"],
            "seconds": info["seconds"], **{k: info["settings"].get(k) for k in keys}}


def measure(folder: Path, budget: float, seed: int) -> dict:
    """One model, distilled with and without attention guidance."""
    from rasplab.distill.sequences import distill_sequences

    oracle, prompts, test = load(folder)
    row: dict = {"model": folder.name, "kind": oracle.predict,
                 "description": oracle.description, "trained": trained(folder)}
    for label, white in (("without", False), ("with", True)):
        t0 = time.perf_counter()
        r = distill_sequences(oracle, prompts, test=test, budget=budget, seed=seed,
                              white_box=white)
        row[label] = {
            "candidates_to_solution": r.candidates_to_solution,
            "candidates_to_program": r.candidates_to_program,
            "candidates": r.candidates, "solved_queries": r.solved_queries,
            "seconds": round(time.perf_counter() - t0, 2), "agreement": r.agreement,
            "sequence_agreement": r.sequence_agreement, "program": r.source,
            "priors": [h for h in r.head_priors if h["prior"] is not None],
            "heads": r.head_matches,
        }
        print(f"{folder.name} {label} white box: {row[label]['candidates_to_program']} "
              f"candidates to the program, {row[label]['seconds']} s, agreement "
              f"{r.agreement:.3f}", flush=True)
    return row


def _cell(run: dict, other: dict) -> str:
    """Candidates to the program returned; a run whose program agrees clearly less with the
    model than the other run's did not reach that program within its budget."""
    n = run["candidates_to_program"]
    if run["agreement"] < other["agreement"] - 0.005:
        return f"not reached ({run['candidates']:,} searched)"
    return "–" if n is None else f"{n:,}" + ("" if run["solved_queries"] else "*")


def table(rows: list[dict]) -> str:
    lines = ["| model | predict | model right (test) | candidates without | candidates with | "
             "ratio | seconds without | seconds with | agreement without / with | "
             "selectors the heads hinted |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        a, b = r["without"], r["with"]
        na, nb = a["candidates_to_program"], b["candidates_to_program"]
        same = abs(a["agreement"] - b["agreement"]) <= 0.005
        ratio = f"{na / nb:.1f}x" if na and nb and same else "–"
        hints = ", ".join(f"`{h}`" for h in sorted({h["selector"] for h in b["priors"]}))
        right = r.get("trained", {}).get("sequence_accuracy")
        right = "–" if right is None else f"{100 * right:.1f}%"
        lines.append(f"| {r['model']} | {r['kind']} | {right} | {_cell(a, b)} | {_cell(b, a)} | "
                     f"{ratio} | "
                     f"{a['seconds']} | {b['seconds']} | {100 * a['agreement']:.1f}% / "
                     f"{100 * b['agreement']:.1f}% | {hints or 'none'} |")
    return "\n".join(lines)


def write(rows: list[dict], budget: float, seed: int, models: list[str], out: Path) -> None:
    """whitebox.json and whitebox.md in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "whitebox.json").write_text(json.dumps(
        {"budget": budget, "seed": seed, "models": models, "rows": rows}, indent=1) + "\n")
    md = ["# White box: attention guidance on models trained elsewhere", "",
          "Each model distilled twice from the same queries (`distill_sequences`, seed "
          f"{seed}, {budget:g} s search budget), without and with the selector priors its "
          "heads give. Candidates: programs the search enumerated up to the one it returned "
          "(`*`: the model errs on a few queries, so no program fits all of them and the count "
          "runs to the closest, and the search uses its whole budget). Seconds: the whole "
          "distillation. Hinted selectors (and their strict/non-strict twins) cost 1 instead "
          "of 2-3 in the search.", "",
          table(rows), "",
          "Models (settings from each folder's train.json):", ""]
    for r, m in zip(rows, models):
        t = r.get("trained", {})
        vocab = f"vocabulary {t['vocab_size']}, " if t.get("vocab_size") else ""
        md.append(f"- `{m}`: {t.get('layers')} layers, d_model {t.get('d_model')}, "
                  f"{t.get('heads')} heads, {vocab}lengths {t.get('min_len')}-{t.get('max_len')}"
                  f"; {t.get('steps')} steps in {t.get('seconds')} s of training (wall clock, "
                  "one thread on a shared machine)")
    md += ["", "Reproduce: `python benchmarks/bench_whitebox.py --models " + " ".join(models)
           + "`", ""]
    (out / "whitebox.md").write_text("\n".join(md))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", type=Path, default=[],
                   help="folders written by causal/train_tl.py or causal/train_gpt2.py")
    p.add_argument("--budget", type=float, default=60.0, help="search seconds per run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--rewrite", action="store_true",
                   help="rewrite whitebox.md from whitebox.json, running nothing")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.rewrite:  # the tables again from the JSON of an earlier run
        data = json.loads((args.out / "whitebox.json").read_text())
        write(data["rows"], data["budget"], data["seed"], data["models"], args.out)
        print(table(data["rows"]))
        return
    rows = [measure(folder, args.budget, args.seed) for folder in args.models]
    write(rows, args.budget, args.seed, [str(m) for m in args.models], args.out)
    print(table(rows))


if __name__ == "__main__":
    main()
