"""Train Hugging Face GPT-2 models on algorithmic tasks, saved the way an outside researcher would.

Each model goes to ``OUT/TASK/``: the Hugging Face folder (``config.json``, ``model.safetensors``,
no tokenizer), ``tokens.json`` (tokens in id order), ``prompts.jsonl``, ``test.jsonl``,
``test_long.jsonl`` (whole sequences, one JSON list a line) and ``train.json`` (settings, time,
accuracy). Tasks and their ground truth come from ``lm_tasks.py``; nothing is downloaded.

    python benchmarks/causal/train_gpt2.py sort reverse --out runs/gpt2
    python benchmarks/causal/train_gpt2.py --all --out runs/gpt2 --device cuda
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

# Deterministic cuBLAS must be requested before CUDA starts.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lm_tasks, when imported from tests
import lm_tasks  # noqa: E402
from lm_tasks import BOS, EOS, PAD, SEP, LanguageTask, Seq2SeqTask, Token  # noqa: E402

LMTask = Seq2SeqTask | LanguageTask


@dataclass
class Settings:
    """Hyper-parameters of one run; the defaults suit a laptop CPU, see PER_TASK for overrides."""

    layers: int = 2
    d_model: int = 64
    heads: int = 4
    n_positions: int = 128
    steps: int = 6000
    batch: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: int = 100
    seed: int = 0
    vocab_size: int | None = None  # None: the task's default
    min_len: int | None = None  # None: the task's default
    max_len: int | None = None
    long_max_len: int | None = None  # None: twice max_len (capped by what the task can sample)
    eval_every: int = 250
    time_limit: float = 270.0  # CPU seconds of training; evaluation and saving come on top
    device: str = "cpu"
    n_prompts: int = 200
    n_test: int = 500


# Per-task departures from the defaults, found by short tuning runs on one CPU thread.
PER_TASK: dict[str, dict[str, float | int]] = {
    "sort": {},
    "copy": {},
    "reverse": {},
    "count": {},
    "majority": {"steps": 8000},
    "binary_majority": {},
    "dyck1": {},
    "dyck2": {"layers": 3},
    "tomita2": {"steps": 2000},
    "tomita4": {"steps": 3000},
}


@dataclass
class Trained:
    """A trained model with what is needed to save and judge it."""

    task: LMTask
    model: torch.nn.Module
    tokens: list[Token]
    settings: Settings
    steps: int
    seconds: float  # wall clock
    cpu_seconds: float  # CPU time of this process (one thread by default)
    stopped: str  # "converged", "steps" or "time"
    final_loss: float
    test_disjoint: bool  # training never drew a test sequence
    sets: dict[str, list[list[Token]]] = field(default_factory=dict)  # prompts, test, test_long


def resolve(task: LMTask, settings: Settings) -> Settings:
    """Fill the task-dependent settings (vocabulary, lengths, positions) left as None."""
    vocab = settings.vocab_size or getattr(task, "vocab_size", None)
    lo = settings.min_len if settings.min_len is not None else task.min_len
    hi = settings.max_len if settings.max_len is not None else task.max_len
    cap = task.max_length(vocab)
    long_hi = settings.long_max_len or 2 * hi
    if cap is not None:
        hi, long_hi = min(hi, cap), min(long_hi, cap)
    longest = _longest_sequence(task, long_hi)
    positions = max(settings.n_positions, 64 * math.ceil(longest / 64))
    return replace(settings, vocab_size=vocab, min_len=lo, max_len=hi, long_max_len=long_hi,
                   n_positions=positions)


def _longest_sequence(task: LMTask, n: int) -> int:
    if isinstance(task, LanguageTask):
        return n + 2
    if task.name == "count":
        return n + 5
    if task.name in ("majority", "binary_majority"):
        return n + 4
    return 2 * n + 3


def build_model(task: LMTask, s: Settings) -> tuple[torch.nn.Module, list[Token]]:
    """A fresh GPT2LMHeadModel for the task's tokens (no dropout: the data is unlimited)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    tokens = lm_tasks.lm_tokens(task, s.vocab_size)
    config = GPT2Config(vocab_size=len(tokens), n_positions=s.n_positions, n_embd=s.d_model,
                        n_layer=s.layers, n_head=s.heads, resid_pdrop=0.0, embd_pdrop=0.0,
                        attn_pdrop=0.0, bos_token_id=tokens.index(BOS),
                        eos_token_id=tokens.index(EOS), pad_token_id=tokens.index(PAD))
    torch.manual_seed(s.seed)
    return GPT2LMHeadModel(config), tokens


@dataclass
class Batch:
    """Padded ids with the training targets of the compared positions."""

    ids: torch.Tensor  # [B, T]
    labels: torch.Tensor  # next: [B, T] ids, -100 where not compared
    sets: torch.Tensor | None  # next-set: [B, T, V] 0/1 allowed-next
    mask: torch.Tensor  # [B, T] bool: compared positions
    attention: torch.Tensor  # [B, T] 1 on real tokens, 0 on right padding (changes nothing
    # under causal attention; passed so transformers does not warn about padding)


def encode(task: LMTask, seqs: list[list[Token]], tokens: list[Token],
           device: str = "cpu") -> Batch:
    """Pad whole sequences with ``<pad>`` and mark, per position, what the model must predict."""
    index = {t: i for i, t in enumerate(tokens)}
    width = max(len(s) for s in seqs)
    ids = np.full((len(seqs), width), index[PAD], dtype=np.int64)
    labels = np.full((len(seqs), width), -100, dtype=np.int64)
    sets = np.zeros((len(seqs), width, len(tokens)), dtype=np.float32) \
        if isinstance(task, LanguageTask) else None
    for row, seq in enumerate(seqs):
        ids[row, :len(seq)] = [index[t] for t in seq]
        for pos, truth in task.compared(seq):
            if sets is None:
                labels[row, pos] = index[truth]
            else:
                labels[row, pos] = 0
                sets[row, pos, [index[t] for t in truth]] = 1.0
    mask = labels != -100
    as_t = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
    return Batch(as_t(ids), as_t(labels), None if sets is None else as_t(sets), as_t(mask),
                 as_t((ids != index[PAD]).astype(np.int64)))


def loss_fn(logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Cross-entropy on the next token, or BCE against the allowed-next set, where compared."""
    if batch.sets is None:
        return F.cross_entropy(logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100)
    per = F.binary_cross_entropy_with_logits(logits, batch.sets, reduction="none").mean(-1)
    weight = batch.mask.to(per.dtype)  # a product, not boolean indexing: deterministic on CUDA
    return (per * weight).sum() / weight.sum()


@torch.no_grad()
def accuracy(model: torch.nn.Module, task: LMTask, seqs: list[list[Token]], tokens: list[Token],
             device: str = "cpu", chunk: int = 256) -> dict:
    """Per-position and whole-sequence accuracy of argmax (or sigmoid > 0.5 sets), by length."""
    model.eval()
    right = total = seq_right = 0
    by_len: dict[int, list[int]] = {}
    for start in range(0, len(seqs), chunk):
        part = seqs[start:start + chunk]
        batch = encode(task, part, tokens, device)
        logits = model(input_ids=batch.ids, attention_mask=batch.attention).logits
        if batch.sets is None:
            ok = logits.argmax(-1) == batch.labels
        else:
            ok = ((logits > 0) == (batch.sets > 0.5)).all(-1)
        ok = ok | ~batch.mask
        right += int((ok & batch.mask).sum())
        total += int(batch.mask.sum())
        whole = ok.all(-1).cpu().numpy()
        seq_right += int(whole.sum())
        for seq, w in zip(part, whole):
            n = _length(task, seq)
            by_len.setdefault(n, [0, 0])
            by_len[n][0] += int(w)
            by_len[n][1] += 1
    model.train()
    return {"position": right / max(total, 1), "sequence": seq_right / max(len(seqs), 1),
            "n": len(seqs),
            "by_length": {str(n): round(r / c, 4) for n, (r, c) in sorted(by_len.items())}}


def _length(task: LMTask, seq: list[Token]) -> int:
    """The task's notion of length of a whole sequence (input length; output length for count)."""
    if isinstance(task, LanguageTask):
        return seq.index(EOS) - 1
    if task.name == "count":
        return seq.index(EOS) - seq.index(SEP) - 1
    return seq.index(SEP) - 1


def _unique(task: LMTask, n: int, rng: np.random.Generator, lo: int, hi: int,
            vocab: int | None) -> list[list[Token]]:
    """Up to ``n`` distinct sequences (fewer when the task has fewer at these lengths)."""
    seen: dict[tuple, list[Token]] = {}
    for _ in range(20):
        for seq in lm_tasks.sample_sequences(task, n, rng, lo, hi, vocab):
            seen.setdefault(tuple(seq), seq)
            if len(seen) == n:
                return list(seen.values())
    return list(seen.values())


def train(task: LMTask | str, settings: Settings | None = None, *, log=print,
          **overrides) -> Trained:
    """Train a GPT-2 on ``task``; keywords override Settings (e.g. ``steps=300, d_model=16``)."""
    task = lm_tasks.LM_TASKS[task] if isinstance(task, str) else task
    base = settings or Settings(**PER_TASK.get(task.name, {}))
    s = resolve(task, replace(base, **overrides))
    model, tokens = build_model(task, s)
    model.to(s.device).train()

    # Held-out sets first, then a training stream that never draws them (when it can avoid them).
    test_rng = np.random.default_rng([s.seed, 1])
    sets = {
        "prompts": lm_tasks.sample_sequences(task, s.n_prompts, np.random.default_rng([s.seed, 2]),
                                             s.min_len, s.max_len, s.vocab_size),
        "test": _unique(task, s.n_test, test_rng, s.min_len, s.max_len, s.vocab_size),
        "test_long": _unique(task, s.n_test, test_rng, s.max_len + 1, s.long_max_len,
                             s.vocab_size) if s.long_max_len > s.max_len else [],
    }
    held = {tuple(x) for x in sets["test"]}
    rng = np.random.default_rng([s.seed, 0])
    probe = lm_tasks.sample_sequences(task, 500, rng, s.min_len, s.max_len, s.vocab_size)
    disjoint = sum(tuple(x) in held for x in probe) < 0.2 * len(probe)
    valid = lm_tasks.sample_sequences(task, 200, np.random.default_rng([s.seed, 3]),
                                      s.min_len, s.max_len, s.vocab_size)

    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=s.weight_decay,
                            betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / s.warmup) * (
        0.1 + 0.45 * (1 + math.cos(math.pi * min(i, s.steps) / s.steps))))
    start, cpu_start = time.perf_counter(), time.process_time()
    stopped, perfect, step, loss_avg = "steps", 0, 0, float("nan")
    for step in range(1, s.steps + 1):
        seqs = lm_tasks.sample_sequences(task, s.batch, rng, s.min_len, s.max_len, s.vocab_size)
        if disjoint:
            seqs = [x for x in seqs if tuple(x) not in held] or seqs
        batch = encode(task, seqs, tokens, s.device)
        loss = loss_fn(model(input_ids=batch.ids, attention_mask=batch.attention).logits, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        value = loss.item()
        loss_avg = value if step == 1 else 0.98 * loss_avg + 0.02 * value
        elapsed = time.process_time() - cpu_start  # CPU seconds: fair on a shared machine
        if step % s.eval_every == 0 or step == s.steps:
            acc = accuracy(model, task, valid, tokens, s.device)
            log(f"{task.name} step {step} loss {loss_avg:.4f} valid position "
                f"{acc['position']:.4f} sequence {acc['sequence']:.4f} ({elapsed:.0f} cpu s)")
            perfect = perfect + 1 if acc["sequence"] == 1.0 else 0
            if perfect >= 2:
                stopped = "converged"
                break
        if elapsed > s.time_limit:
            stopped = "time"
            break
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    model.eval()
    return Trained(task, model, tokens, s, step, seconds, cpu, stopped, loss_avg, disjoint,
                   sets)


def _jsonl(path: Path, rows: list[list[Token]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def save(trained: Trained, out_dir: Path | str) -> dict:
    """Write the model folder and its data files; return what train.json holds."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model, task, s = trained.model.to("cpu"), trained.task, trained.settings
    model.save_pretrained(out, safe_serialization=True)
    (out / "tokens.json").write_text(json.dumps(trained.tokens) + "\n")
    for name, rows in trained.sets.items():
        _jsonl(out / f"{name}.jsonl", rows)
    acc = {name: accuracy(model, task, rows, trained.tokens)
           for name, rows in trained.sets.items() if rows and name != "prompts"}
    record = {
        "task": task.name, "description": task.description, "predict": task.kind,
        "compare_from": SEP if task.kind == "next" else BOS,
        "format": "huggingface GPT2LMHeadModel",
        "settings": asdict(s), "params": sum(p.numel() for p in model.parameters()),
        "steps": trained.steps, "seconds": round(trained.seconds, 1),
        "cpu_seconds": round(trained.cpu_seconds, 1), "stopped": trained.stopped,
        "final_loss": round(trained.final_loss, 5), "test_disjoint": trained.test_disjoint,
        "train_lengths": [s.min_len, s.max_len], "long_lengths": [s.max_len + 1, s.long_max_len],
        "accuracy": acc, "torch": torch.__version__,
    }
    (out / "train.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv: list[str] | None = None) -> int:
    """Command line: train the named tasks (or all) and save each under OUT/TASK."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tasks", nargs="*", help=f"any of: {' '.join(lm_tasks.LM_TASKS)}")
    p.add_argument("--all", action="store_true", help="every task")
    p.add_argument("--out", required=True, type=Path)
    for flag in ("layers", "d_model", "heads", "steps", "batch", "seed", "vocab_size", "min_len",
                 "max_len", "long_max_len", "n_positions", "eval_every", "n_test", "n_prompts"):
        p.add_argument("--" + flag.replace("_", "-"), type=int, dest=flag)
    p.add_argument("--lr", type=float)
    p.add_argument("--time-limit", type=float, dest="time_limit")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    names = list(lm_tasks.LM_TASKS) if args.all else args.tasks
    unknown = [n for n in names if n not in lm_tasks.LM_TASKS]
    if not names or unknown:
        p.error(f"unknown task(s) {unknown}" if unknown else "name a task or pass --all")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda but torch sees no CUDA device")
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    keys = set(Settings.__dataclass_fields__) - {"device"}
    given = {k: v for k, v in vars(args).items() if k in keys and v is not None}
    rows = []
    for name in names:
        trained = train(name, Settings(**{**PER_TASK.get(name, {}), **given},
                                       device=args.device),
                        log=lambda m: print(m, flush=True))
        rec = save(trained, args.out / name)
        acc = rec["accuracy"]
        rows.append((name, acc["test"]["sequence"], acc.get("test_long", {}).get("sequence"),
                     rec["steps"], rec["seconds"], rec["cpu_seconds"]))
        print(f"{name}: test sequence {rows[-1][1]:.4f} long {rows[-1][2]} "
              f"steps {rec['steps']} {rec['cpu_seconds']} cpu s -> {args.out / name}", flush=True)
    print("\ntask | test seq acc | long seq acc | steps | seconds | cpu seconds")
    for r in rows:
        print(" | ".join(str(round(x, 4)) if isinstance(x, float) else str(x) for x in r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
